import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../../../common/redis/redis.constants';
import { AuditService } from '../../audit/audit.service';
import { DomainEvents } from '../../audit/domain-events';
import { PostgresOidcAdapter, RedisOidcAdapter } from './oidc-adapters';
import { OidcProviders } from './oidc-provider.registry';

/** The part of oidc-provider's Client the back-channel logout uses (its typings leave it out). */
interface BackchannelClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

interface EndedGrant {
  id: string;
  tenant_id: string;
  session_id: string;
  sid: string | null;
  account_id: string;
  client_id: string;
}

/**
 * When a SecureAuth session ends (the user, an admin, a password reset, a deletion, a disabled
 * account), the grants given in it end too: their tokens are deleted, the grant goes, and each
 * client with a back-channel logout URI gets a logout token. findAccount refuses the grant's
 * tokens from the revocation's commit on whatever happens here: this is the prompt cleanup and
 * the client's notice.
 */
@Injectable()
export class OidcSessionEnd implements OnModuleInit {
  private readonly logger = new Logger(OidcSessionEnd.name);

  constructor(
    private readonly em: EntityManager,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly events: DomainEvents,
    private readonly providers: OidcProviders,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.events.on('session.revoked', async ({ event, ctx }) => {
      if (event.sessionId) await this.endGrantsOf([event.sessionId], ctx);
    });
  }

  async endGrantsOf(sessionIds: string[], ctx?: object): Promise<number> {
    const grants = await this.em.execute<EndedGrant[]>(
      `delete from "oidc_record" where "kind" = 'Grant' and "session_id" in (?)
       returning "id", "tenant_id", "session_id", "sid", "payload"->>'accountId' as "account_id",
                 "payload"->>'clientId' as "client_id"`,
      [sessionIds],
    );
    for (const grant of grants) {
      await this.revokeTokens(grant);
      await this.audit.record(
        {
          type: 'oidc.grant_revoked',
          outcome: 'success',
          tenantId: grant.tenant_id,
          subjectId: grant.account_id,
          sessionId: grant.session_id,
          data: { clientId: grant.client_id, grantId: grant.id },
        },
        ctx,
      );
      await this.notifyClient(grant);
    }
    return grants.length;
  }

  private async revokeTokens(grant: EndedGrant): Promise<void> {
    await new PostgresOidcAdapter(this.em, grant.tenant_id, 'RefreshToken').revokeByGrantId(grant.id);
    for (const model of ['AccessToken', 'AuthorizationCode']) {
      await new RedisOidcAdapter(this.redis, grant.tenant_id, model).revokeByGrantId(grant.id);
    }
  }

  /** Back-channel logout (OpenID Connect Back-Channel Logout 1.0): best effort, the tokens are already dead. */
  private async notifyClient(grant: EndedGrant): Promise<void> {
    try {
      const provider = await this.providers.providerFor(grant.tenant_id);
      const client = (await provider.Client.find(grant.client_id)) as BackchannelClient | undefined;
      if (!client?.backchannelLogoutUri || !grant.sid) return;
      await client.backchannelLogout(grant.account_id, grant.sid);
    } catch (error) {
      this.logger.warn(`back-channel logout for client ${grant.client_id} failed: ${String(error)}`);
    }
  }
}
