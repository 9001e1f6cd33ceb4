/** Second factors a login challenge can offer, in the order API.md lists them. */
export const MFA_METHODS = ['totp', 'email', 'passkey', 'recovery_code'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];
