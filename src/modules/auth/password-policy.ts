import { test as isCommonPassword } from 'fxa-common-password-list';
import { AppException } from '../../common/errors';

export const PASSWORD_MAX_LENGTH = 128;

export type PasswordField = 'password' | 'newPassword';

/**
 * API.md / NIST 800-63B: length only (8 to 128 characters, the minimum raised per tenant or by
 * PASSWORD_MIN_LENGTH), any characters, no composition rules, and nothing from the common
 * password list. Length counts Unicode code points, not UTF-16 units, so an emoji is one character.
 * Returns the failure message, or null when the password is acceptable.
 */
export function passwordPolicyViolation(password: string, minLength: number): string | null {
  const length = [...password].length;
  const min = Math.min(Math.max(minLength, 8), PASSWORD_MAX_LENGTH);
  if (length < min) return `must be at least ${min} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  // The list is lower-case; "Password1" is no better than "password1".
  if (isCommonPassword(password) || isCommonPassword(password.toLowerCase())) {
    return 'is too common; choose another password';
  }
  return null;
}

/** Throws VALIDATION_FAILED with the field's detail when the password breaks the policy. */
export function assertPasswordPolicy(password: string, minLength: number, field: PasswordField): void {
  const message = passwordPolicyViolation(password, minLength);
  if (message) throw new AppException('VALIDATION_FAILED', [{ field, message }]);
}
