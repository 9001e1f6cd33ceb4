import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Provider } from 'oidc-provider';
import { SessionRevoker } from '../../sessions/session-revoker.service';

type Middleware = Parameters<Provider['use']>[0];

const CONFIRM_PATH = '/session/end/confirm';

/**
 * RP-initiated logout ends the SecureAuth sessions behind the provider's browser session: the
 * provider revokes its grants and sends the back-channel logout tokens; this ends the sessions
 * those grants were given in ("sign me out" means out of SecureAuth too, as on /signout).
 */
@Injectable()
export class OidcLogout {
  constructor(
    private readonly em: EntityManager,
    private readonly revoker: SessionRevoker,
  ) {}

  middleware(provider: Provider, tenantId: string): Middleware {
    return async (ctx, next) => {
      if (ctx.path !== CONFIRM_PATH || ctx.method !== 'POST') {
        await next();
        return;
      }
      // Read before the provider destroys its session and the grants with it.
      const sessionIds = await this.sessionsBehind(provider, tenantId, ctx.cookies.get(provider.cookieName('session')));
      await next();
      const params = (ctx as { oidc?: { params?: { logout?: unknown } } }).oidc?.params;
      if (!params?.logout || ctx.status >= 400) return;
      for (const id of sessionIds) await this.revoker.revoke({ id }, 'oidc_logout');
    };
  }

  private async sessionsBehind(provider: Provider, tenantId: string, cookie: string | undefined): Promise<string[]> {
    if (!cookie) return [];
    const session = (await provider.Session.find(cookie)) as
      { authorizations?: Record<string, { grantId?: string }> } | undefined;
    const grantIds = Object.values(session?.authorizations ?? {})
      .map((authorization) => authorization.grantId)
      .filter((grantId): grantId is string => typeof grantId === 'string');
    if (grantIds.length === 0) return [];
    const rows = await this.em.execute<Array<{ session_id: string }>>(
      `select distinct "session_id" from "oidc_record"
        where "kind" = 'Grant' and "tenant_id" = ? and "id" in (?) and "session_id" is not null`,
      [tenantId, grantIds],
    );
    return rows.map((row) => row.session_id);
  }
}
