import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { newWebhookSecret, signWebhook, webhookHeaders } from './standard-webhooks';

/** Our signatures are checked by the Standard Webhooks reference library, as a receiver would. */
describe('standard-webhooks', () => {
  const id = 'msg_2f1c9d3e';
  const body = JSON.stringify({ id: 'msg_2f1c9d3e', type: 'user.created', data: { name: 'Zoë' } });
  const now = () => Math.floor(Date.now() / 1000);

  it('should make a whsec_ secret of 32 random bytes', () => {
    const secret = newWebhookSecret();

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('should produce headers the reference library verifies', () => {
    const secret = newWebhookSecret();

    const headers = webhookHeaders(secret, id, now(), body);

    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('should sign exactly as the reference library does', () => {
    const secret = newWebhookSecret();
    const timestamp = now();

    expect(signWebhook(secret, id, timestamp, body)).toBe(
      new Webhook(secret).sign(id, new Date(timestamp * 1000), body),
    );
  });

  it('should match the published test vector', () => {
    const sut = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );

    expect(sut).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('should not verify a tampered body', () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders(secret, id, now(), body);

    expect(() => new Webhook(secret).verify(body.replace('Zoë', 'Eve'), { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it('should not verify a tampered timestamp', () => {
    const secret = newWebhookSecret();
    const timestamp = now();
    const headers = webhookHeaders(secret, id, timestamp, body);

    const moved = { ...headers, 'webhook-timestamp': String(timestamp - 1) };

    expect(() => new Webhook(secret).verify(body, moved)).toThrow(WebhookVerificationError);
  });

  it('should not verify a tampered id', () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders(secret, id, now(), body);

    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow(
      WebhookVerificationError,
    );
  });

  it('should not verify under another secret', () => {
    const headers = webhookHeaders(newWebhookSecret(), id, now(), body);

    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it('should refuse a secret without the whsec_ prefix and not repeat it', () => {
    const secret = newWebhookSecret().slice('whsec_'.length);

    expect(() => signWebhook(secret, id, now(), body)).toThrow('webhook secret must start with whsec_');
    expect(() => signWebhook(secret, id, now(), body)).not.toThrow(secret);
  });

  it('should refuse a timestamp that is not whole seconds', () => {
    expect(() => signWebhook(newWebhookSecret(), id, Date.now() / 1000 + 0.5, body)).toThrow('whole seconds');
  });
});
