import { classifyHttpProviderError, classifyNetworkError, classifySmtpError } from './delivery.errors';

describe('delivery error classification', () => {
  describe('SMTP', () => {
    it('should treat a 5xx reply as a permanent bounce', () => {
      expect(classifySmtpError({ responseCode: 550, code: 'EENVELOPE', message: 'no such user' }).kind).toBe('bounce');
      expect(classifySmtpError({ responseCode: 554, message: 'rejected' }).kind).toBe('bounce');
    });

    it('should treat a 4xx reply as temporary', () => {
      expect(classifySmtpError({ responseCode: 451, message: 'try later' }).kind).toBe('temporary');
      expect(classifySmtpError({ responseCode: 421, message: 'closing' }).kind).toBe('temporary');
    });

    it('should treat connection failures and timeouts (no reply code) as temporary', () => {
      expect(classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }).kind).toBe('temporary');
      expect(classifySmtpError({ code: 'ETIMEDOUT', message: 'Timeout' }).kind).toBe('temporary');
      expect(classifySmtpError(undefined).kind).toBe('temporary');
    });
  });

  describe('Twilio', () => {
    it('should bounce invalid (21211) and unsubscribed (21610) numbers', () => {
      expect(classifyHttpProviderError('twilio', 400, { code: 21211 }).kind).toBe('bounce');
      expect(classifyHttpProviderError('twilio', 400, { code: 21610 }).kind).toBe('bounce');
    });

    it('should retry 429 and 5xx', () => {
      expect(classifyHttpProviderError('twilio', 429, { code: 20429 }).kind).toBe('temporary');
      expect(classifyHttpProviderError('twilio', 500, undefined).kind).toBe('temporary');
      expect(classifyHttpProviderError('twilio', 503, { code: 20503 }).kind).toBe('temporary');
    });

    it('should fail other 4xx (credentials, bad request) without blaming the number', () => {
      const error = classifyHttpProviderError('twilio', 401, { code: 20003 });
      expect(error.kind).toBe('rejected');
      expect(error.providerCode).toBe('20003');
    });
  });

  describe('WhatsApp Cloud API', () => {
    it('should bounce an undeliverable recipient (131026)', () => {
      expect(classifyHttpProviderError('whatsapp', 400, { error: { code: 131026 } }).kind).toBe('bounce');
    });

    it('should retry 429 and 5xx and fail other 4xx', () => {
      expect(classifyHttpProviderError('whatsapp', 429, { error: { code: 130429 } }).kind).toBe('temporary');
      expect(classifyHttpProviderError('whatsapp', 502, 'bad gateway').kind).toBe('temporary');
      expect(classifyHttpProviderError('whatsapp', 400, { error: { code: 100 } }).kind).toBe('rejected');
    });
  });

  it('should treat a timeout or a network error as temporary', () => {
    expect(classifyNetworkError('twilio', Object.assign(new Error('t'), { name: 'TimeoutError' })).kind).toBe(
      'temporary',
    );
    expect(classifyNetworkError('whatsapp', new TypeError('fetch failed')).message).toContain('network error');
  });
});
