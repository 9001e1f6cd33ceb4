import { parseTenantSettings } from './tenant-settings.dto';

describe('parseTenantSettings', () => {
  it('should keep only the given keys', () => {
    expect(parseTenantSettings({ passwordMinLength: 15, mfaRequired: false })).toEqual({
      passwordMinLength: 15,
      mfaRequired: false,
    });
  });

  it.each([
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
