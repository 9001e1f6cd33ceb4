/** Second factors a login challenge can offer, in the order API.md lists them. */
export const MFA_METHODS = ['totp', 'email', 'passkey', 'recovery_code'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

/** The RFC 8176 amr value a second factor adds to a session (sign-in challenge and re-authentication). */
export const AMR_OF: Record<MfaMethod, string> = { totp: 'otp', email: 'otp', recovery_code: 'otp', passkey: 'hwk' };

/** Why a login challenge was started beyond the user's own factors: a sign-in from a new place (tenant `step_up`). */
export const CHALLENGE_REASONS = ['new_place'] as const;
export type ChallengeReason = (typeof CHALLENGE_REASONS)[number];
