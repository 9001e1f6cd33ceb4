import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Provider } from 'oidc-provider';
import { AppException } from '../../../common/errors/app-exception';
import { REDIS } from '../../../common/redis/redis.constants';
import { oidcConfig } from '../../../config';
import { flowOf, flowQuery } from '../../pages/page-context';
import type { PageCaller } from '../../pages/page-caller.service';
import { PageContinuations } from '../../pages/page-continuations';
import { acrOf, asksAal2, olderThanMaxAge } from '../provider/oidc-claims';
import type { GrantRequest } from '../provider/oidc-grants.service';
import { OidcProviders } from '../provider/oidc-provider.registry';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the client's request asks beyond a live sign-in: a fresh proof, or a second factor. */
export type Requirement = 'fresh' | 'second_factor';

/** An interaction of a tenant's provider, as this browser's cookie names it. */
export interface Interaction {
  tenantId: string;
  uid: string;
  details: Details;
  /** The page's path (no query): where sign-in comes back to. */
  path: string;
  pathWithFlow(request: FastifyRequest): string;
  actionPath(action: 'reauthenticate' | 'consent'): string;
  /** The origin of the redirect URI this authorization will end at (checked by the provider against the client). */
  clientOrigins: string[];
}

/** The proof marker of an interaction the browser started without a session: it signs in during it. */
export const SIGNED_IN_HERE = '*';

const INTERACTION_PATH = /^\/oidc\/([A-Za-z0-9_-]{1,64})\/interaction\/([A-Za-z0-9_-]{1,64})(?:[/?]|$)/;

@Injectable()
export class OidcInteractions implements OnModuleInit {
  constructor(
    private readonly providers: OidcProviders,
    private readonly continuations: PageContinuations,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(oidcConfig.KEY) private readonly config: ConfigType<typeof oidcConfig>,
  ) {}

  /**
   * A sign-in page that continues an authorization: its forms may end at that client (CSP
   * form-action), and the session it starts is for that client (its id as the `service`).
   */
  onModuleInit(): void {
    const paramsOf = async (returnTo: string) => {
      const match = INTERACTION_PATH.exec(returnTo);
      if (!match) return undefined;
      const provider = await this.providers.providerFor(match[1]);
      return (await provider.Interaction.find(match[2]))?.params;
    };
    this.continuations.register({
      formOrigins: async (returnTo) => originsOf((await paramsOf(returnTo))?.redirect_uri),
      service: async (returnTo) => {
        const clientId = (await paramsOf(returnTo))?.client_id;
        return typeof clientId === 'string' ? clientId.slice(0, 64) : null;
      },
    });
  }

  async load(request: FastifyRequest, reply: FastifyReply, tenantId: string): Promise<Interaction> {
    const provider = await this.providers.providerFor(tenantId);
    let details: Details;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      // No interaction cookie, or one for another request: this sign-in expired or was never started here.
      throw AppException.saying(
        'NOT_FOUND',
        'This sign-in request expired: go back to the application and start again.',
      );
    }
    const path = `/oidc/${tenantId}/interaction/${details.uid}`;
    return {
      tenantId,
      uid: details.uid,
      details,
      path,
      pathWithFlow: (req) => `${path}${flowQuery({ ...flowOf(req), returnTo: undefined })}`,
      actionPath: (action) => `${path}/${action}`,
      clientOrigins: originsOf(details.params.redirect_uri),
    };
  }

  /**
   * prompt=login: a proof given after the request was made; max_age: one within that many
   * seconds; acr_values asking for aal2 (without aal1 as an alternative): a second factor.
   */
  async requirementOf(interaction: Interaction, caller: PageCaller): Promise<Requirement | null> {
    const { params, prompt } = interaction.details;
    const asked = words(params.prompt);
    if (asked.includes('login') && !(await this.provenDuring(interaction, caller))) return 'fresh';
    if (olderThanMaxAge(params.max_age, caller.auth.authTime)) {
      // A proof given on this interaction's page satisfies it even when the clock turned since (max_age=0).
      if (!(await this.provenDuring(interaction, caller))) return 'fresh';
    }
    const essentialAcr = prompt.reasons.includes('essential_acr') || prompt.reasons.includes('essential_acrs');
    if (asksAal2(params.acr_values) || essentialAcr) {
      if (acrOf(caller.auth) !== 'aal2') return 'second_factor';
    }
    return null;
  }

  /**
   * Remembers that the user proved who they are during this interaction: `session` after a proof
   * on its page, `SIGNED_IN_HERE` when the browser had no session and is sent to sign in. Seconds
   * are too coarse to tell a sign-in just before the request from one just after it.
   */
  async markProof(interaction: Interaction, session: string): Promise<void> {
    await this.redis.set(this.proofKey(interaction), session, 'EX', this.config.interactionTtlSeconds);
  }

  private async provenDuring(interaction: Interaction, caller: PageCaller): Promise<boolean> {
    const started = interaction.details.iat ?? 0;
    if (caller.auth.authTime > started) return true;
    const proof = await this.redis.get(this.proofKey(interaction));
    if (proof === caller.auth.sessionId) return true;
    return proof === SIGNED_IN_HERE && caller.auth.authTime >= started;
  }

  private proofKey(interaction: Interaction): string {
    return `oidc:${interaction.tenantId}:proof:${interaction.uid}`;
  }

  /** Exactly what the authorization asked for: its scopes, its claims, the issuer's API as the resource. */
  grantRequestOf(interaction: Interaction, caller: PageCaller): GrantRequest {
    const { params } = interaction.details;
    const claims = new Set<string>();
    if (typeof params.claims === 'string') {
      try {
        const parsed = JSON.parse(params.claims) as Record<string, Record<string, unknown> | undefined>;
        for (const section of [parsed.id_token, parsed.userinfo]) {
          for (const name of Object.keys(section ?? {})) claims.add(name);
        }
      } catch {
        // The provider already refused a malformed claims parameter; nothing to add.
      }
    }
    return {
      accountId: caller.auth.userId,
      clientId: String(params.client_id),
      scopes: words(params.scope),
      claims: [...claims],
      resource: this.providers.issuerOf(interaction.tenantId),
    };
  }
}

/** A space-separated authorization parameter as its words (absent: none). */
function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
}

function originsOf(uri: unknown): string[] {
  if (typeof uri !== 'string') return [];
  try {
    const { origin } = new URL(uri);
    return origin === 'null' ? [] : [origin];
  } catch {
    return [];
  }
}
