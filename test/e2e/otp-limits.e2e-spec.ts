import { EntityManager } from '@mikro-orm/postgresql';
import type Redis from 'ioredis';
import { REDIS } from '../../src/common/redis/redis.constants';
import { uniquePhone } from '../support/otp-test-helpers';
import { eventually } from '../support/eventually';
import { keysMatching } from '../support/test-redis';
import { startTestApp, type TestApp } from '../support/test-app';
import { WhatsappTestServer } from '../support/whatsapp-test-server';

/** A 6-digit code that is not `code`. */
const wrong = (code: string, salt = 1) => String((Number(code) + salt) % 1_000_000).padStart(6, '0');

describe('OTP limits and single use', () => {
  let whatsapp: WhatsappTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    whatsapp = await WhatsappTestServer.start();
    // X-Forwarded-For names the client: the destination's own caps are tested from many addresses.
    sut = await startTestApp({
      ...whatsapp.env(),
      THROTTLE_AUTH_LIMIT: '1000',
      OTP_RESEND_COOLDOWN: '1',
      TRUST_PROXY: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await sut.close();
    await whatsapp.close();
  });

  let nextAddress = 0;
  /** A client address of its own (a documentation range: only ever a header, never a peer). */
  const clientAddress = () => `198.51.100.${++nextAddress % 256}`;

  /** Sends a code as soon as the 1 s cooldown allows and answers it. */
  async function send(phone: string, app: TestApp = sut, from = clientAddress()): Promise<string> {
    const next = whatsapp.nextCode(phone);
    await eventually('send-otp accepted', async () => {
      const response = await app.http.post('/api/auth/send-otp', { phone }, { headers: { 'x-forwarded-for': from } });
      if (response.status === 429 && response.body.code === 'OTP_RESEND_COOLDOWN') return undefined;
      expect(response.status).toBe(202);
      return response;
    });
    return next;
  }

  const verify = (phone: string, otp: string, app: TestApp = sut, from = '203.0.113.1') =>
    app.http.fork({ 'x-forwarded-for': from }).post('/api/auth/verify-otp', { phone, otp, client: 'native' });

  it('should refuse a resend within the cooldown with OTP_RESEND_COOLDOWN and Retry-After', async () => {
    const phone = uniquePhone();
    await send(phone);
    const again = await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' });
    expect(again.status).toBe(429);
    expect(again.body.code).toBe('OTP_RESEND_COOLDOWN');
    expect(again.headers.get('retry-after')).toBe('1');
  });

  it('should cap sends per destination per hour with TOO_MANY_REQUESTS, whatever the client addresses', async () => {
    const phone = uniquePhone();
    for (let i = 0; i < 5; i++) await send(phone);
    const capped = await eventually('the cooldown to pass', async () => {
      const response = await sut.http.post(
        '/api/auth/send-otp',
        { phone },
        { headers: { 'x-forwarded-for': clientAddress() } },
      );
      return response.body.code === 'OTP_RESEND_COOLDOWN' ? undefined : response;
    });
    expect(capped.status).toBe(429);
    expect(capped.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(3000);
  });

  it('should burn the code after 5 wrong tries: the 5th still answers OTP_INVALID, then even the right code is OTP_EXPIRED', async () => {
    const phone = uniquePhone();
    const code = await send(phone);
    for (let i = 1; i <= 5; i++) {
      const response = await verify(phone, wrong(code, i));
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('OTP_INVALID');
    }
    // From another address: this one has spent its share of the destination's failures (otp-targeted-lockout).
    const right = await verify(phone, code, sut, '203.0.113.2');
    expect(right.status).toBe(401);
    expect(right.body.code).toBe('OTP_EXPIRED');
  });

  it('should not let resends buy more guesses: the destination gets 429 after 10 wrong tries across codes', async () => {
    const phone = uniquePhone();
    for (let round = 0; round < 2; round++) {
      const code = await send(phone);
      const from = `203.0.113.${10 + round}`;
      for (let i = 1; i <= 5; i++) {
        expect((await verify(phone, wrong(code, i), sut, from)).body.code).toBe('OTP_INVALID');
      }
    }
    const code = await send(phone);
    const blocked = await verify(phone, code, sut, '203.0.113.20');
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('should replace the old code with a new send: the old one is just a wrong code', async () => {
    const phone = uniquePhone();
    const first = await send(phone);
    const second = await send(phone);
    if (first !== second) {
      const old = await verify(phone, first);
      expect(old.status).toBe(401);
      expect(old.body.code).toBe('OTP_INVALID');
    }
    expect((await verify(phone, second)).status).toBe(200);
  });

  it('should accept a code once: 20 concurrent verifications give exactly one 200', async () => {
    const phone = uniquePhone();
    const code = await send(phone);
    const responses = await Promise.all(Array.from({ length: 20 }, () => verify(phone, code)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.status !== 200).every((r) => r.body.code === 'OTP_EXPIRED')).toBe(
      true,
    );
  });

  it('should never keep the code in plain text in Redis, PostgreSQL or the audit log', async () => {
    const phone = uniquePhone();
    const code = await send(phone);
    const redis = sut.app.get<Redis>(REDIS);
    const prefix = sut.resources.redisPrefix;
    // ioredis 6 no longer prefixes a KEYS pattern (it did in 5): ask for this run's keys by name.
    const keys = (await keysMatching(redis, `${prefix}*`)).map((key) => key.slice(prefix.length));
    expect(keys.filter((key) => key.startsWith('otp:')).length).toBeGreaterThan(0);
    for (const key of keys) {
      const type = await redis.type(key);
      const dump =
        type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '';
      expect(`${key} ${dump ?? ''}`).not.toContain(code);
    }
    const connection = sut.app.get(EntityManager).fork().getConnection();
    const messages = await connection.execute<Array<{ row: string }>>(
      `select row_to_json(m)::text as row from delivery_message m`,
    );
    const audit = await connection.execute<Array<{ row: string }>>(
      `select row_to_json(a)::text as row from audit_event a`,
    );
    for (const { row } of [...messages, ...audit]) expect(row).not.toMatch(new RegExp(`(^|[^0-9])${code}([^0-9]|$)`));
  });

  it('should throttle send-otp and verify-otp per IP (THROTTLE_AUTH_LIMIT), whatever the destination', async () => {
    const strict = await startTestApp({ ...whatsapp.env(), THROTTLE_AUTH_LIMIT: '2' });
    try {
      const sends = [];
      for (let i = 0; i < 3; i++) sends.push(await strict.http.post('/api/auth/send-otp', { phone: uniquePhone() }));
      expect(sends.map((response) => response.status)).toEqual([202, 202, 429]);
      expect(sends[2].body.code).toBe('TOO_MANY_REQUESTS');
      const verifies = [];
      for (let i = 0; i < 3; i++) {
        verifies.push(await strict.http.post('/api/auth/verify-otp', { phone: uniquePhone(), otp: '000000' }));
      }
      expect(verifies.map((response) => response.status)).toEqual([401, 401, 429]);
    } finally {
      await strict.close();
    }
  });

  describe('with OTP_TTL=2', () => {
    let short: TestApp;

    beforeAll(async () => {
      short = await startTestApp({ ...whatsapp.env(), THROTTLE_AUTH_LIMIT: '1000', OTP_TTL: '2' });
    });
    afterAll(() => short.close());

    it('should answer OTP_EXPIRED once the code has expired', async () => {
      const phone = uniquePhone();
      const code = await send(phone, short);
      const redis = short.app.get<Redis>(REDIS);
      await eventually(
        'the code to expire in Redis',
        async () =>
          (await keysMatching(redis, `${short.resources.redisPrefix}otp:*:code`)).length === 0 ? true : undefined,
        { deadlineMs: 5000, intervalMs: 100 },
      );
      const response = await verify(phone, code, short);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('OTP_EXPIRED');
    });

    it('should tell the client the code lifetime and the default 60 s cooldown', async () => {
      const phone = uniquePhone();
      const sent = await short.http.post('/api/auth/send-otp', { phone });
      expect(sent.body).toEqual({ status: 'sent', channel: 'whatsapp', expiresIn: 2, resendAfter: 60 });
      const again = await short.http.post('/api/auth/send-otp', { phone });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    });
  });
});
