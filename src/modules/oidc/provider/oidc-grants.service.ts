import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import type { Grant, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { RequestContext } from '../../../common/http/request-context';
import { AuditService } from '../../audit/audit.service';
import { OidcClients } from '../clients/oidc-clients.service';
import { OidcConsent } from '../oidc.entities';
import { silentSessionOf } from './web-session';

/** What the hosted pages proved for an authorization: the SecureAuth session it runs in. */
export interface PagesResult {
  sessionId: string;
}

export function sessionIdOf(result: unknown): string | undefined {
  const sessionId = (result as Partial<PagesResult> | undefined)?.sessionId;
  return typeof sessionId === 'string' ? sessionId : undefined;
}

/** What an authorization asks a grant to hold. */
export interface GrantRequest {
  accountId: string;
  clientId: string;
  scopes: string[];
  claims: string[];
  resource: string;
}

/**
 * Grants, each tied to the SecureAuth session it was given in (oidc_record.session_id): the
 * provider's tokens live exactly as long as that session does.
 */
@Injectable()
export class OidcGrants {
  private readonly logger = new Logger(OidcGrants.name);

  constructor(
    private readonly em: EntityManager,
    private readonly clients: OidcClients,
    private readonly audit: AuditService,
  ) {}

  /**
   * oidc-provider's loadExistingGrant, on the resume that carries the pages' answer: the grant this
   * browser already has for the client if it belongs to the same session, else a new one when no
   * consent page is needed (a first-party client, or scopes this user already allowed this client).
   * Undefined sends the browser to the consent prompt.
   */
  async existingGrant(ctx: KoaContextWithOIDC, tenantId: string): Promise<Grant | undefined> {
    const sessionId = sessionIdOf(ctx.oidc.result) ?? silentSessionOf(ctx, tenantId);
    const { client, session } = ctx.oidc;
    if (!sessionId || !client || !session?.accountId) return undefined;
    // The consent page (or its first-party shortcut) just made this grant.
    const consented = (ctx.oidc.result as { consent?: { grantId?: string } } | undefined)?.consent?.grantId;
    if (consented) return ctx.oidc.provider.Grant.find(consented);
    // prompt=consent asks the consent step anyway: no grant made here would be used.
    if (ctx.oidc.prompts.has('consent')) return undefined;
    const current = session.grantIdFor(client.clientId);
    if (current && (await this.sessionOf(tenantId, current)) === sessionId) {
      const grant = await ctx.oidc.provider.Grant.find(current);
      if (grant) return grant;
    }
    const scopes = [...(ctx.oidc.requestParamScopes ?? [])];
    const request: GrantRequest = {
      accountId: session.accountId,
      clientId: client.clientId,
      scopes,
      claims: [...(ctx.oidc.requestParamClaims ?? [])],
      resource: ctx.oidc.issuer,
    };
    if (!(await this.mayGrantWithoutAsking(tenantId, request))) return undefined;
    return this.create(ctx.oidc.provider, tenantId, request, sessionId);
  }

  async mayGrantWithoutAsking(tenantId: string, request: GrantRequest): Promise<boolean> {
    const client = await this.clients.find(tenantId, request.clientId);
    if (!client) return false;
    if (client.firstParty) return true;
    const consent = await this.em
      .fork()
      .findOne(OidcConsent, { tenantId, userId: request.accountId, clientId: request.clientId });
    return consent !== null && request.scopes.every((scope) => consent.scopes.includes(scope));
  }

  /** A grant of exactly what was asked, saved and tied to the session. */
  async create(provider: Provider, tenantId: string, request: GrantRequest, sessionId: string): Promise<Grant> {
    const grant = new provider.Grant({ accountId: request.accountId, clientId: request.clientId });
    const scope = request.scopes.join(' ');
    if (scope) {
      grant.addOIDCScope(scope);
      grant.addResourceScope(request.resource, scope);
    }
    if (request.claims.length) grant.addOIDCClaims(request.claims);
    const grantId = await grant.save();
    await this.em.execute(
      `update "oidc_record" set "session_id" = ? where "kind" = 'Grant' and "id" = ? and "tenant_id" = ?`,
      [sessionId, grantId, tenantId],
    );
    return grant;
  }

  /**
   * Remembers that the user allowed these scopes to the client (the consent page is not shown again
   * for them), audited as `oidc.consent_given` in the same transaction.
   */
  async rememberConsent(
    input: { tenantId: string; userId: string; clientId: string; scopes: string[]; sessionId: string },
    ctx: Partial<RequestContext>,
  ): Promise<void> {
    const { tenantId, userId, clientId, scopes, sessionId } = input;
    await this.em.fork().transactional(async (em) => {
      await em.execute(
        `insert into "oidc_consent" ("tenant_id", "user_id", "client_id", "scopes", "updated_at")
         values (?, ?, ?, array[?]::text[], now())
         on conflict ("tenant_id", "user_id", "client_id") do update
           set "scopes" = array(select distinct unnest("oidc_consent"."scopes" || excluded."scopes")), "updated_at" = now()`,
        [tenantId, userId, clientId, scopes],
      );
      await this.audit.record(
        {
          type: 'oidc.consent_given',
          outcome: 'success',
          tenantId,
          subjectId: userId,
          sessionId,
          data: { clientId, scopes },
        },
        ctx,
        em,
      );
    });
  }

  /** Records the `sid` each client got for a grant: what its back-channel logout token will name. */
  listen(provider: Provider, tenantId: string): void {
    provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
      const { client, session, grant } = ctx.oidc;
      if (!client || !session || !grant) return;
      // The grant this authorization used (the session's record of it may still name an older one).
      const grantId = grant.jti;
      const sid = session.sidFor(client.clientId);
      if (!grantId || !sid) return;
      this.em
        .execute(`update "oidc_record" set "sid" = ? where "kind" = 'Grant' and "id" = ? and "tenant_id" = ?`, [
          sid,
          grantId,
          tenantId,
        ])
        .catch((error: unknown) => this.logger.warn(`could not record the sid of grant ${grantId}: ${String(error)}`));
    });
  }

  /**
   * The SecureAuth session a grant was given in; null when there is no such grant (any revocation
   * deleted it). Read on every token use, never cached: the grant's existence is part of the answer.
   */
  async sessionOf(tenantId: string, grantId: string): Promise<string | null> {
    const [row] = await this.em.execute<Array<{ session_id: string | null }>>(
      `select "session_id" from "oidc_record" where "kind" = 'Grant' and "id" = ? and "tenant_id" = ?`,
      [grantId, tenantId],
    );
    return row?.session_id ?? null;
  }
}
