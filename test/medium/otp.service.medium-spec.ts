import { CryptoService } from '../../src/common/crypto/crypto.service';
import type { RequestContext } from '../../src/common/http/request-context';
import { QueueModule } from '../../src/common/queue/queue.module';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { DeliveryMessage } from '../../src/modules/delivery/delivery-message.entity';
import { OtpModule } from '../../src/modules/otp/otp.module';
import { OtpService } from '../../src/modules/otp/otp.service';
import { TenantsModule } from '../../src/modules/tenants/tenants.module';
import type { OtpDestination } from '../../src/modules/otp/otp.types';
import { createUser } from '../support/factories';
import { uniqueEmail } from '../support/otp-test-helpers';
import { newMediumTest, type MediumTest } from './medium.factory';

const MAX_ATTEMPTS = 8;
const ctx: RequestContext = { requestId: 'medium', ip: '203.0.113.7', userAgent: 'jest', tenantId: 'default' };

/**
 * OtpService with its real module below it: codes in Redis, the message row (and its job) in
 * PostgreSQL and BullMQ. No worker runs, so nothing is sent: the code is read back the only
 * way it exists, encrypted in its delivery row.
 */
describe(OtpService.name, () => {
  let medium: MediumTest<OtpService>;
  let sut: OtpService;

  beforeAll(async () => {
    // More tries per code than one address's share of wrong codes (5 of OTP_MAX_FAILURES_PER_HOUR=10),
    // so that the address limit and the code's own limit can be told apart.
    medium = await newMediumTest(OtpService, {
      imports: [QueueModule, TenantsModule, OtpModule],
      fromImports: true,
      env: { OTP_MAX_ATTEMPTS: String(MAX_ATTEMPTS) },
    });
    sut = medium.sut;
  });
  afterAll(() => medium.close());

  const email = (address = uniqueEmail('medium-otp')): OtpDestination => ({ channel: 'email', address });
  const issue = (destination: OtpDestination, userId?: string) =>
    sut.issue({ tenantId: 'default', purpose: 'login', destination, userId, ctx });
  const verify = (destination: OtpDestination, code: string) =>
    sut.verify({ tenantId: 'default', purpose: 'login', destination, code, ip: ctx.ip });

  /** The code inside the latest delivery row to `destination`, decrypted as the worker would. */
  async function deliveredCode(destination: OtpDestination): Promise<{ code: string; row: DeliveryMessage }> {
    const rows = await medium
      .em()
      .find(DeliveryMessage, { payload: { $ne: null } }, { orderBy: { createdAt: 'desc' } });
    const crypto = medium.get(CryptoService);
    const mine = rows.find((row) => crypto.decryptString(row.payload!, row.id).includes(destination.address));
    if (!mine?.payload) throw new Error(`no delivery row to ${destination.address}`);
    const plain = crypto.decryptString(mine.payload, mine.id);
    const code = /\b(\d{6})\b/.exec(plain)?.[1];
    if (!code) throw new Error('no code in the delivery payload');
    return { code, row: mine };
  }

  it('should issue a 6-digit code that verifies once', async () => {
    const destination = email();
    expect(await issue(destination)).toEqual({ channel: 'email', expiresIn: 300, resendAfter: 60 });
    const { code } = await deliveredCode(destination);
    await expect(verify(destination, code)).resolves.toBeUndefined();
    await expect(verify(destination, code)).rejects.toMatchObject({ code: 'OTP_EXPIRED' });
  });

  it('should keep the code out of Redis and out of the row in plain text', async () => {
    const destination = email();
    await issue(destination);
    const { code, row } = await deliveredCode(destination);
    const keys = await medium.redis.keys(`${medium.resources.redisPrefix}*`);
    const values = await Promise.all(
      keys.map(async (key) => {
        const unprefixed = key.slice(medium.resources.redisPrefix.length);
        const type = await medium.redis.type(unprefixed);
        if (type === 'hash') return Object.values(await medium.redis.hgetall(unprefixed)).join(' ');
        return type === 'string' ? ((await medium.redis.get(unprefixed)) ?? '') : '';
      }),
    );
    // The live code is there, as its keyed hash: there is something to look at.
    const codeKey = keys.find((key) => key.endsWith(':code'));
    expect(codeKey).toBeDefined();
    expect(await medium.redis.hget(codeKey!.slice(medium.resources.redisPrefix.length), 'h')).toMatch(/^\S{32,}$/);
    expect(keys.join(' ')).not.toContain(code);
    expect(values.join(' ')).not.toContain(code);
    expect(row.payload).not.toContain(code);
    expect(row.destinationMasked).not.toBe(destination.address);
  });

  it('should answer OTP_INVALID for a wrong code and burn the code on the last allowed wrong one', async () => {
    const destination = email();
    await issue(destination);
    const { code } = await deliveredCode(destination);
    const wrong = code === '000000' ? '111111' : '000000';
    // Without a client address: only the code's own attempt limit applies, not an address's share.
    const anywhere = (guess: string) => sut.verify({ tenantId: 'default', purpose: 'login', destination, code: guess });
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await expect(anywhere(wrong)).rejects.toMatchObject({ code: 'OTP_INVALID' });
    }
    await expect(anywhere(code)).rejects.toMatchObject({ code: 'OTP_EXPIRED' });
  });

  it('should throttle one client address after its share of wrong codes, not the owner elsewhere', async () => {
    const destination = email();
    await issue(destination);
    const { code } = await deliveredCode(destination);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await expect(verify(destination, wrong)).rejects.toMatchObject({ code: 'OTP_INVALID' });
    await expect(verify(destination, code)).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    const owner = { tenantId: 'default', purpose: 'login' as const, destination, code, ip: '198.51.100.9' };
    await expect(sut.verify(owner)).resolves.toBeUndefined();
  });

  it('should refuse a second send inside the resend cooldown, keeping the first code live', async () => {
    const destination = email();
    await issue(destination);
    const { code } = await deliveredCode(destination);
    await expect(issue(destination)).rejects.toMatchObject({ code: 'OTP_RESEND_COOLDOWN' });
    await expect(verify(destination, code)).resolves.toBeUndefined();
  });

  it('should not accept a code for another purpose or another destination', async () => {
    const destination = email();
    await issue(destination);
    const { code } = await deliveredCode(destination);
    await expect(
      sut.verify({ tenantId: 'default', purpose: 'password_reset', destination, code, ip: ctx.ip }),
    ).rejects.toMatchObject({ code: 'OTP_EXPIRED' });
    await expect(verify(email(), code)).rejects.toMatchObject({ code: 'OTP_EXPIRED' });
    await expect(verify(destination, code)).resolves.toBeUndefined();
  });

  it('should audit the send and the verification with the account and a masked destination', async () => {
    const user = await createUser(medium.em());
    const destination = email(user.email!);
    await issue(destination, user.id);
    const { code } = await deliveredCode(destination);
    await verify(destination, code);
    const events = await medium.em().find(AuditEvent, { subjectId: user.id }, { orderBy: { createdAt: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['otp.sent', 'otp.verified']);
    expect(JSON.stringify(events.map((event) => event.data))).not.toContain(destination.address);
  });
});
