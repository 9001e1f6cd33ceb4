import { signGenericWebhook, twilioSignature, verifyGenericWebhook, verifyTwilioSignature } from './webhook-signatures';

describe('generic webhook signature', () => {
  const secret = 'a-webhook-secret-of-some-length';
  const body = Buffer.from('{"type":"bounce","messageId":"x"}');
  const now = 1_800_000_000;

  it('should accept a fresh signature over the exact body and return it', () => {
    const header = signGenericWebhook(secret, now, body);
    expect(verifyGenericWebhook(header, body, secret, now + 10)).toEqual({
      valid: true,
      signature: header.split('v1=')[1],
    });
  });

  it('should refuse another secret, another body, or a missing header', () => {
    expect(
      verifyGenericWebhook(signGenericWebhook('another-secret-entirely', now, body), body, secret, now).valid,
    ).toBe(false);
    expect(
      verifyGenericWebhook(signGenericWebhook(secret, now, body), Buffer.concat([body, Buffer.from(' ')]), secret, now)
        .valid,
    ).toBe(false);
    expect(verifyGenericWebhook(undefined, body, secret, now).valid).toBe(false);
    expect(verifyGenericWebhook('garbage', body, secret, now).valid).toBe(false);
  });

  it('should refuse a timestamp more than 300 s away in either direction', () => {
    expect(verifyGenericWebhook(signGenericWebhook(secret, now - 301, body), body, secret, now).valid).toBe(false);
    expect(verifyGenericWebhook(signGenericWebhook(secret, now + 301, body), body, secret, now).valid).toBe(false);
    expect(verifyGenericWebhook(signGenericWebhook(secret, now - 300, body), body, secret, now).valid).toBe(true);
  });

  it('should not let a signed timestamp be swapped for another', () => {
    const header = signGenericWebhook(secret, now - 1000, body).replace(`t=${now - 1000}`, `t=${now}`);
    expect(verifyGenericWebhook(header, body, secret, now).valid).toBe(false);
  });

  it('should accept any of several v1 values (secret rotation)', () => {
    const good = signGenericWebhook(secret, now, body).split('v1=')[1];
    expect(verifyGenericWebhook(`t=${now},v1=${'0'.repeat(64)},v1=${good}`, body, secret, now).valid).toBe(true);
  });
});

describe('Twilio request signature', () => {
  // The example from Twilio's security documentation.
  const authToken = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+12349013030',
    Digits: '1234',
    From: '+12349013030',
    To: '+18005551212',
  };

  it("should match Twilio's documented example", () => {
    expect(twilioSignature(authToken, url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('should verify the right signature and refuse a tampered parameter, URL or token', () => {
    const signature = twilioSignature(authToken, url, params);
    expect(verifyTwilioSignature(signature, authToken, url, params)).toBe(true);
    expect(verifyTwilioSignature(signature, authToken, url, { ...params, Digits: '9999' })).toBe(false);
    expect(verifyTwilioSignature(signature, authToken, `${url}&x=1`, params)).toBe(false);
    expect(verifyTwilioSignature(signature, 'other', url, params)).toBe(false);
    expect(verifyTwilioSignature(undefined, authToken, url, params)).toBe(false);
  });
});
