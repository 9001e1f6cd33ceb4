import { parseTenantSettings } from './tenant-settings.dto';

describe('parseTenantSettings', () => {
  it('should keep only the given keys', () => {
    expect(parseTenantSettings({ passwordMinLength: 15, mfaRequired: false })).toEqual({
      passwordMinLength: 15,
      mfaRequired: false,
    });
  });

  it('should keep captcha and smsCountries (empty = every country)', () => {
    expect(parseTenantSettings({ captcha: 'always', smsCountries: ['DE', 'FR'] })).toEqual({
      captcha: 'always',
      smsCountries: ['DE', 'FR'],
    });
    expect(parseTenantSettings({ captcha: 'off', smsCountries: [] })).toEqual({ captcha: 'off', smsCountries: [] });
  });

  it.each([
    [{ captcha: 'sometimes' }],
    [{ captcha: true }],
    [{ smsCountries: 'DE' }],
    [{ smsCountries: ['XX'] }],
    [{ smsCountries: ['de'] }],
    [{ smsCountries: ['DE', 'DE'] }],
    [{ passwordMinLength: 7 }],
    [{ passwordMinLength: 129 }],
    [{ allowedOtpChannels: 'sms' }],
    [{ allowedOtpChannels: ['sms', 'sms'] }],
    [{ allowedOtpChannels: [] }],
    [{ accessTokenTtl: 0 }],
    [{ refreshTokenTtl: 3600, sessionIdleTtl: 7200 }],
    [{ unknown: true }],
    [null],
    ['{}'],
  ])('should refuse %j', (input) => {
    expect(() => parseTenantSettings(input)).toThrow(/settings/);
  });
});
