/** API.md "OpenID Connect provider": the scopes and the claims each one releases. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone'];

export const OIDC_CLAIMS = {
  sid: null,
  // How the user signed in travels with every ID token (API.md: amr and acr), not only when a client asks.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'given_name', 'family_name', 'locale'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** What the claims are made of: the account's contact and profile. */
export interface ClaimSource {
  id: string;
  email: string | null;
  emailVerified: boolean;
  phone: string | null;
  phoneVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  locale: string | null;
}

/** Every claim the user has; the provider (or our userinfo) keeps those the granted scopes release. */
export function claimsOf(user: ClaimSource): { sub: string } & Record<string, unknown> {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    sub: user.id,
    ...(user.email ? { email: user.email, email_verified: user.emailVerified } : {}),
    ...(user.phone ? { phone_number: user.phone, phone_number_verified: user.phoneVerified } : {}),
    ...(name ? { name } : {}),
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
    ...(user.locale ? { locale: user.locale } : {}),
  };
}

/** The claims `scopes` release (sub always). */
export function releasedBy(scopes: Iterable<string>, claims: Record<string, unknown>): Record<string, unknown> {
  const allowed = new Set(['sub']);
  for (const scope of scopes) {
    const names = (OIDC_CLAIMS as Record<string, string[] | null>)[scope];
    if (Array.isArray(names)) names.forEach((name) => allowed.add(name));
  }
  return Object.fromEntries(Object.entries(claims).filter(([name]) => allowed.has(name)));
}

/** Whether the request's `max_age` finds a sign-in at `authTime` (Unix seconds) too old; absent: never. */
export function olderThanMaxAge(maxAge: unknown, authTime: number): boolean {
  return maxAge !== undefined && authTime < Math.floor(Date.now() / 1000) - Number(maxAge);
}

/** Whether `acr_values` asks for aal2 without aal1 as an alternative: a second factor is then required. */
export function asksAal2(acrValues: unknown): boolean {
  const values = typeof acrValues === 'string' ? acrValues.split(' ') : [];
  return values.includes('aal2') && !values.includes('aal1');
}

/**
 * `acr` from how the SecureAuth session was proven: aal2 once a second factor (or a passkey,
 * which is both) is in its amr, as the MFA section counts it.
 */
export function acrOf(session: { aal: 1 | 2; amr: string[] }): 'aal1' | 'aal2' {
  if (session.aal === 2) return 'aal2';
  const factors = new Set(session.amr);
  return factors.has('hwk') || factors.size >= 2 ? 'aal2' : 'aal1';
}
