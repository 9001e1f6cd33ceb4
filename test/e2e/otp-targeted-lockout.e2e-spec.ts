import { uniquePhone } from '../support/otp-test-helpers';
import { startTestApp, type TestApp } from '../support/test-app';
import { WhatsappTestServer } from '../support/whatsapp-test-server';

/** A 6-digit code that is not `code`. */
const wrong = (code: string, salt = 1) => String((Number(code) + salt) % 1_000_000).padStart(6, '0');

/**
 * Targeted lockouts: an attacker who knows a victim's phone number spends that number's send
 * and failure budgets so the victim cannot sign in for an hour. Each source address gets a
 * share of a destination's budget; the destination's totals still bound brute force whatever
 * the number of addresses. The app trusts the loopback proxy, so X-Forwarded-For is the client.
 */
describe('targeted lockouts of a destination (per-address shares of its OTP budgets)', () => {
  let whatsapp: WhatsappTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    whatsapp = await WhatsappTestServer.start();
    sut = await startTestApp({
      ...whatsapp.env(),
      THROTTLE_AUTH_LIMIT: '1000',
      OTP_RESEND_COOLDOWN: '0',
      TRUST_PROXY: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await sut.close();
    await whatsapp.close();
  });

  const from = (ip: string) => sut.http.fork({ 'x-forwarded-for': ip });
  const send = (ip: string, phone: string) => from(ip).post('/api/auth/send-otp', { phone });
  const verify = (ip: string, phone: string, otp: string) =>
    from(ip).post('/api/auth/verify-otp', { phone, otp, client: 'native' });

  it('should not let one address spend the whole hourly send budget of a victim number', async () => {
    const victim = uniquePhone();
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(attacker, victim)).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    const next = whatsapp.nextCode(victim);
    const own = await send('198.51.100.20', victim);
    expect(own.status).toBe(202);
    expect((await verify('198.51.100.20', victim, await next)).status).toBe(200);
  });

  it('should not let one address burn the failure budget of a victim number: the victim still signs in', async () => {
    const victim = uniquePhone();
    const attacker = '203.0.113.8';
    const answers: string[] = [];
    // Two codes (each burns after 5 wrong tries), 5 wrong guesses on each: the destination's hourly total of 10.
    for (let round = 0; round < 2; round++) {
      const next = whatsapp.nextCode(victim);
      expect((await send(attacker, victim)).status).toBe(202);
      const code = await next;
      for (let i = 1; i <= 5; i++) answers.push((await verify(attacker, victim, wrong(code, i))).body.code as string);
    }
    expect(answers).toEqual([...Array(5).fill('OTP_INVALID'), ...Array(5).fill('TOO_MANY_REQUESTS')]);
    const next = whatsapp.nextCode(victim);
    expect((await send('198.51.100.21', victim)).status).toBe(202);
    const login = await verify('198.51.100.21', victim, await next);
    expect(login.status).toBe(200);
  });

  it('should treat every address of one IPv6 /64 as one address', async () => {
    const victim = uniquePhone();
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) statuses.push((await send(`2001:db8:1:2::${i.toString(16)}`, victim)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect((await send('2001:db8:1:3::1', victim)).status).toBe(202);
  });

  it('should still cap wrong codes per destination in total, however many addresses guess (brute force)', async () => {
    const victim = uniquePhone();
    const codeOf = async (ip: string) => {
      const next = whatsapp.nextCode(victim);
      expect((await send(ip, victim)).status).toBe(202);
      return next;
    };
    // Five addresses, two wrong codes each: 10 guesses, the destination's hourly total.
    for (let n = 1; n <= 5; n++) {
      const ip = `203.0.113.${100 + n}`;
      const code = await codeOf(ip);
      for (let i = 1; i <= 2; i++) expect((await verify(ip, victim, wrong(code, i))).body.code).toBe('OTP_INVALID');
    }
    const blocked = await verify('203.0.113.200', victim, '000000');
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('TOO_MANY_REQUESTS');
  });

  it('should still cap sends per destination in total, however many addresses ask', async () => {
    const victim = uniquePhone();
    const statuses: number[] = [];
    for (let n = 1; n <= 6; n++) statuses.push((await send(`198.51.100.${50 + n}`, victim)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });
});
