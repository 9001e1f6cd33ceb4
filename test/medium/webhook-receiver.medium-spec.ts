import { newWebhookSecret, webhookHeaders } from '../../src/modules/webhooks/standard-webhooks';
import { sendWebhook } from '../../src/modules/webhooks/webhook-sender';
import { WebhookReceiver } from '../support/webhook-receiver';

/** The e2e receiver itself: it must verify what our signer and sender produce, and script its answers. */
describe(WebhookReceiver.name, () => {
  let secret: string;
  let sut: WebhookReceiver;

  beforeEach(async () => {
    secret = newWebhookSecret();
    sut = await WebhookReceiver.start(secret);
  });
  afterEach(() => sut.close());

  let sequence = 0;
  const deliver = (type: string, { signWith = secret, timeoutMs = 5000 } = {}) => {
    const id = `msg_${++sequence}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id, type, timestamp, tenantId: 'acme', data: { userId: 'u1' } });
    return sendWebhook({
      url: sut.url(),
      headers: { ...webhookHeaders(signWith, id, timestamp, body) },
      body,
      timeoutMs,
      allowPrivate: true,
    });
  };

  it('should verify and record a webhook signed by our signer and posted by our sender', async () => {
    const response = await deliver('user.created');

    expect(response.status).toBe(200);
    const event = await sut.waitFor((candidate) => candidate.type === 'user.created', 2000);
    expect(event).toMatchObject({
      id: `msg_${sequence}`,
      type: 'user.created',
      body: { id: `msg_${sequence}`, type: 'user.created', tenantId: 'acme', data: { userId: 'u1' } },
      path: '/webhooks',
      verified: true,
      status: 200,
    });
    expect(event.verificationError).toBeUndefined();
  });

  it('should record a webhook signed with another secret as not verified', async () => {
    await deliver('user.created', { signWith: newWebhookSecret() });

    expect(sut.events()).toEqual([
      expect.objectContaining({ verified: false, verificationError: 'No matching signature found' }),
    ]);
  });

  it('should verify with the secret set last', async () => {
    const rotated = newWebhookSecret();
    sut.setSecret(rotated);

    await deliver('user.created', { signWith: rotated });
    await deliver('user.created', { signWith: secret });

    expect(sut.events().map((event) => event.verified)).toEqual([true, false]);
  });

  it('should answer the scripted failures first, then success', async () => {
    sut.failNext(2, 503);

    const statuses = [await deliver('a'), await deliver('b'), await deliver('c')].map((response) => response.status);

    expect(statuses).toEqual([503, 503, 200]);
    expect(sut.events().map((event) => event.status)).toEqual([503, 503, 200]);
  });

  it('should leave a hung request unanswered until the sender times out', async () => {
    sut.hangNext(1);

    await expect(deliver('slow', { timeoutMs: 200 })).rejects.toMatchObject({ kind: 'timeout' });
    await expect(deliver('fast')).resolves.toMatchObject({ status: 200 });
    expect(sut.events().map((event) => [event.type, event.status])).toEqual([
      ['slow', undefined],
      ['fast', 200],
    ]);
  });

  it('should answer a scripted redirect with its location', async () => {
    sut.redirectNext(1, 'http://169.254.169.254/latest/meta-data/');

    const response = await fetch(sut.url(), { method: 'POST', body: '{}', redirect: 'manual' });

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://169.254.169.254/latest/meta-data/');
    expect(sut.events()).toEqual([expect.objectContaining({ status: 302, verified: false })]);
  });

  it('should list the events of one type', async () => {
    await deliver('user.created');
    await deliver('session.revoked');
    await deliver('user.created');

    expect(sut.events('user.created')).toHaveLength(2);
    expect(sut.events('session.revoked')).toHaveLength(1);
    expect(sut.events()).toHaveLength(3);
  });

  it('should fail to wait for an event that never comes, at the deadline', async () => {
    await expect(sut.waitFor((event) => event.type === 'never', 100)).rejects.toThrow('timed out after 100 ms');
  });
});
