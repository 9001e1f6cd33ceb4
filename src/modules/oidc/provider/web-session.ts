import type { IncomingMessage } from 'node:http';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuthPrincipal } from '../../../common/auth/auth-principal';
import { acrOf, asksAal2, olderThanMaxAge } from './oidc-claims';

/**
 * The browser's SecureAuth session (the hosted pages' access cookie), read by the mount before
 * an authorization request reaches the provider: what `prompt=none` may rely on.
 */
export type WithWebSession = IncomingMessage & { secureauthSession?: AuthPrincipal };

/** Authorization requests (and their resumes) are the only ones that look at the browser's session. */
export const isAuthorizationPath = (path: string) => path === '/auth' || path.startsWith('/auth/');

/**
 * A `prompt=none` request answered without the pages: the browser's live SecureAuth session is
 * the one the provider's session signed in, and it meets the request's max_age and acr_values.
 * Its id, or undefined (the provider then answers login_required or interaction_required).
 */
export function silentSessionOf(ctx: KoaContextWithOIDC, tenantId: string): string | undefined {
  const session = (ctx.req as WithWebSession).secureauthSession;
  const { params, prompts } = ctx.oidc;
  if (!params || !prompts.has('none') || !session || session.tenantId !== tenantId) return undefined;
  if (ctx.oidc.session?.accountId !== session.userId) return undefined;
  if (olderThanMaxAge(params.max_age, session.authTime)) return undefined;
  if (asksAal2(params.acr_values) && acrOf(session) !== 'aal2') return undefined;
  return session.sessionId;
}
