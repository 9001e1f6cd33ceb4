import { AppException } from '../../common/errors';
import { assertPasswordPolicy, passwordPolicyViolation } from './password-policy';

describe('password policy', () => {
  it('should accept a long uncommon passphrase with no composition rules', () => {
    expect(passwordPolicyViolation('correct horse battery staple', 8)).toBeNull();
    expect(passwordPolicyViolation('alllowercaseletters', 8)).toBeNull();
  });

  it('should reject a password shorter than the minimum', () => {
    expect(passwordPolicyViolation('a1b2c3d', 8)).toBe('must be at least 8 characters');
  });

  it('should apply a raised minimum (tenant or PASSWORD_MIN_LENGTH)', () => {
    expect(passwordPolicyViolation('uncommon-pass-1', 15)).toBeNull();
    expect(passwordPolicyViolation('uncommon-pass', 15)).toBe('must be at least 15 characters');
  });

  it('should never go below 8 characters even when configured lower', () => {
    expect(passwordPolicyViolation('xq7#k2m', 4)).toBe('must be at least 8 characters');
  });

  it('should reject a password longer than 128 characters and accept exactly 128', () => {
    expect(passwordPolicyViolation('x'.repeat(127) + 'y', 8)).toBeNull();
    expect(passwordPolicyViolation('x'.repeat(129), 8)).toBe('must be at most 128 characters');
  });

  it('should count Unicode characters, not UTF-16 code units', () => {
    expect(passwordPolicyViolation('🔑'.repeat(8), 8)).toBeNull();
    expect(passwordPolicyViolation('🔑'.repeat(7), 8)).toBe('must be at least 8 characters');
    expect(passwordPolicyViolation('🔑'.repeat(128), 8)).toBeNull();
  });

  it('should reject passwords from the common-password list, whatever their case', () => {
    expect(passwordPolicyViolation('password1', 8)).toMatch(/too common/);
    expect(passwordPolicyViolation('PassWord1', 8)).toMatch(/too common/);
    expect(passwordPolicyViolation('12345678', 8)).toMatch(/too common/);
  });

  it('should throw VALIDATION_FAILED naming the field', () => {
    let thrown: unknown;
    try {
      assertPasswordPolicy('short', 8, 'newPassword');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppException);
    expect((thrown as AppException).code).toBe('VALIDATION_FAILED');
    expect((thrown as AppException).details).toEqual([
      { field: 'newPassword', message: 'must be at least 8 characters' },
    ]);
  });
});
