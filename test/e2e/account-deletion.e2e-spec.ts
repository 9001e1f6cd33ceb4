import { EntityManager } from '@mikro-orm/postgresql';
import { AccountPurgeService } from '../../src/modules/account/deletion/account-purge.service';
import { OidcConsent, OidcRecord } from '../../src/modules/oidc/oidc.entities';
import { DeliveryMessage } from '../../src/modules/delivery/delivery-message.entity';
import { Device } from '../../src/modules/devices/device.entity';
import { Passkey } from '../../src/modules/mfa/entities/passkey.entity';
import { RecoveryCode } from '../../src/modules/mfa/entities/recovery-code.entity';
import { Session } from '../../src/modules/sessions/session.entity';
import { SignInPlace } from '../../src/modules/sign-in-risk/sign-in-place.entity';
import { WebhookDelivery } from '../../src/modules/webhooks/webhook.entities';
import { User } from '../../src/modules/users/user.entity';
import { eventually } from '../support/eventually';
import { uniquePhone } from '../support/otp-test-helpers';
import { startProviderStack, type ProviderStack } from '../support/provider-stack';
import { TestClock } from '../support/test-clock';
import { startTestApp } from '../support/test-app';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { createWebhookDelivery, createWebhookEndpoint, signedInAs } from './admin-support';
import {
  auditTypesOf,
  enrolTotp,
  PASSWORD,
  passwordChallenge,
  passwordUser,
  registerPasskey,
  signedInUser,
  totpCode,
} from './mfa-support';
import { startSession } from './sessions-support';

const DAY_MS = 86_400_000;

/**
 * API.md "Account self-service" DELETE /api/account and its settled details, written as an
 * attacker who holds a deleted account's password, phone, passkey or mailbox would try them.
 */
describe('account deletion (DELETE /api/account)', () => {
  let stack: ProviderStack;
  beforeAll(async () => {
    stack = await startProviderStack({ THROTTLE_ENABLED: 'false', OTP_RESEND_COOLDOWN: '0' });
  });
  afterEach(() => TestClock.of(stack.sut).reset());
  afterAll(() => stack.close());

  const post = (path: string, body: unknown, token?: string) =>
    stack.sut.http.post(path, body, { token, cookies: false });
  const deleteAccount = (token: string) => stack.sut.http.request('DELETE', '/api/account', { token, cookies: false });
  const rowOf = (id: string) => stack.sut.app.get(EntityManager).fork().findOneOrFail(User, { id });

  it('should need a recent sign-in', async () => {
    const { user, token } = await signedInUser(stack.sut);
    TestClock.of(stack.sut).advance(601_000);
    const response = await deleteAccount(token);
    expect([response.status, response.body.code]).toEqual([401, 'REAUTH_REQUIRED']);
    expect((await rowOf(user.id)).status).toBe('active');
  });

  it('should schedule the purge after the grace period and end every session of the account at once', async () => {
    const { user, token } = await passwordUser(stack.sut);
    const other = await startSession(stack.sut, user, { client: 'native' });
    const before = Date.now();
    const response = await deleteAccount(token);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ status: 'deletion_scheduled', purgeAt: expect.any(String) });
    const purgeAt = Date.parse(response.body.purgeAt);
    expect(purgeAt).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
    expect(purgeAt).toBeLessThan(Date.now() + 30 * DAY_MS + 1000);

    expect((await stack.sut.http.get('/api/auth/me', { token, cookies: false })).status).toBe(401);
    const refreshed = await post('/api/auth/refresh', { refreshToken: other.refreshToken });
    expect([refreshed.status, refreshed.body.code]).toEqual([401, 'REFRESH_TOKEN_INVALID']);
    expect(await auditTypesOf(stack.sut, user.id)).toEqual(
      expect.arrayContaining(['account.deletion_scheduled', 'session.revoked']),
    );
  });

  it('should answer the right password with 403 ACCOUNT_DELETED and a wrong one as before', async () => {
    const { token, email } = await passwordUser(stack.sut);
    expect((await deleteAccount(token)).status).toBe(202);
    const right = await post('/api/auth/login', { email, password: PASSWORD });
    expect([right.status, right.body.code]).toEqual([403, 'ACCOUNT_DELETED']);
    const wrong = await post('/api/auth/login', { email, password: `${PASSWORD}!` });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
  });

  it('should not let a second factor finish a sign-in that began before the deletion', async () => {
    const { token, email } = await passwordUser(stack.sut);
    const { secret } = await enrolTotp(stack.sut, token);
    const { mfaToken } = await passwordChallenge(stack.sut, email);
    expect((await deleteAccount(token)).status).toBe(202);
    const finished = await post('/api/auth/mfa/verify', { mfaToken, method: 'totp', code: totpCode(secret) });
    expect([finished.status, finished.body.code]).toEqual([403, 'ACCOUNT_DELETED']);
  });

  it('should treat the phone of a deleted account as unknown: no code is sent, none signs in, no account is made', async () => {
    const phone = uniquePhone();
    const { user, token } = await signedInUser(stack.sut, { phone, phoneVerifiedAt: new Date() });
    // A code sent while the account was alive, used after its deletion.
    const earlier = stack.whatsapp.nextCode(phone);
    expect((await post('/api/auth/send-otp', { phone })).status).toBe(202);
    const earlierCode = await earlier;
    expect((await deleteAccount(token)).status).toBe(202);

    const late = await post('/api/auth/verify-otp', { phone, otp: earlierCode });
    expect([late.status, late.body.code]).toEqual([401, 'OTP_EXPIRED']);

    const sentBefore = stack.whatsapp.requests.length + stack.twilio.requests.length;
    const send = await post('/api/auth/send-otp', { phone });
    expect(send.status).toBe(202);
    expect(send.body.status).toBe('sent');
    const guessed = await post('/api/auth/verify-otp', { phone, otp: earlierCode });
    expect(guessed.status).toBe(401);
    expect(stack.whatsapp.requests.length + stack.twilio.requests.length).toBe(sentBefore);
    const holders = await stack.sut.app.get(EntityManager).fork().find(User, { phone });
    expect(holders.map((holder) => holder.id)).toEqual([user.id]);
  });

  it('should send no sign-in code and no reset code to the mailbox of a deleted account', async () => {
    const { token, email } = await passwordUser(stack.sut);
    expect((await deleteAccount(token)).status).toBe(202);
    // A real send is queued (its row written) before the answer; a pretend one writes nothing.
    const messages = () => stack.sut.app.get(EntityManager).fork().count(DeliveryMessage, {});
    const before = await messages();
    expect((await post('/api/auth/send-otp', { email })).status).toBe(202);
    expect((await post('/api/auth/password/forgot', { email })).status).toBe(202);
    const registered = await post('/api/auth/register', { email, password: 'another fine passphrase 7' });
    expect(registered.status).toBe(202);
    expect(await messages()).toBe(before);
  });

  it('should refuse a passkey sign-in as it refuses an unknown passkey', async () => {
    const { token } = await passwordUser(stack.sut);
    const passkey = new SoftwareAuthenticator();
    await registerPasskey(stack.sut, token, passkey);
    expect((await deleteAccount(token)).status).toBe(202);
    const options = await post('/api/auth/passkey/options', {});
    const signIn = await post('/api/auth/passkey/verify', { response: passkey.get(options.body), client: 'native' });
    expect([signIn.status, signIn.body.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('should not let an admin bring a deleted account back', async () => {
    const admin = await signedInAs(stack.sut, ['admin']);
    const { user, token } = await signedInUser(stack.sut);
    expect((await deleteAccount(token)).status).toBe(202);
    const restored = await stack.sut.http.request('PATCH', `/api/admin/users/${user.id}`, {
      token: admin.token,
      body: { status: 'active' },
      cookies: false,
    });
    expect([restored.status, restored.body.code]).toEqual([409, 'CONFLICT']);
    const asDeleted = await stack.sut.http.request('PATCH', `/api/admin/users/${user.id}`, {
      token: admin.token,
      body: { status: 'deleted' },
      cookies: false,
    });
    expect([asDeleted.status, asDeleted.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await rowOf(user.id)).status).toBe('deleted');
  });

  it('should erase the personal data at the purge time and keep the id and the audit trail', async () => {
    const phone = uniquePhone();
    const { user, token } = await passwordUser(stack.sut);
    await stack.sut.app
      .get(EntityManager)
      .fork()
      .nativeUpdate(User, { id: user.id }, { phone, phoneVerifiedAt: new Date(), firstName: 'Ada', country: 'GB' });
    await enrolTotp(stack.sut, token);
    await registerPasskey(stack.sut, token, new SoftwareAuthenticator());
    await post('/api/auth/send-otp', { phone });
    const em = stack.sut.app.get(EntityManager).fork();
    // What an OIDC sign-in leaves: a consent and a grant naming the user.
    await em.insert(OidcConsent, {
      tenantId: user.tenantId,
      userId: user.id,
      clientId: 'some-client',
      scopes: ['openid'],
    });
    await em.insert(OidcRecord, {
      kind: 'Grant',
      id: `grant-${user.id}`,
      tenantId: user.tenantId,
      payload: { accountId: user.id, clientId: 'some-client' },
    });
    // Where the account signed in from, and an event delivered to a tenant's webhook about it.
    await em.insert(SignInPlace, {
      tenantId: user.tenantId,
      userId: user.id,
      countryCode: 'GB',
      lastSeenAt: new Date(),
    });
    await createWebhookDelivery(em, await createWebhookEndpoint(em, user.tenantId), { userId: user.id });
    expect(await em.count(DeliveryMessage, { userId: user.id })).toBeGreaterThan(0);
    expect((await deleteAccount(token)).status).toBe(202);

    const purges = stack.sut.app.get(AccountPurgeService);
    const clock = TestClock.of(stack.sut);
    clock.advance(29 * DAY_MS);
    expect(await purges.purge(user.tenantId, user.id)).toBe(false);
    expect((await rowOf(user.id)).email).toBe(user.email);

    clock.advance(1 * DAY_MS + 1000);
    expect(await purges.purgeDue()).toBeGreaterThanOrEqual(1);
    const row = await rowOf(user.id);
    expect(row).toMatchObject({
      id: user.id,
      status: 'deleted',
      email: null,
      phone: null,
      passwordHash: null,
      firstName: null,
      lastName: null,
      country: null,
      purgeAt: null,
      isMfaEnabled: false,
    });
    for (const entity of [
      Session,
      Device,
      Passkey,
      RecoveryCode,
      DeliveryMessage,
      OidcConsent,
      SignInPlace,
      WebhookDelivery,
    ] as const) {
      expect(await em.fork().count(entity as typeof Session, { userId: user.id })).toBe(0);
    }
    expect(await em.fork().count(OidcRecord, { id: `grant-${user.id}` })).toBe(0);
    const types = await auditTypesOf(stack.sut, user.id);
    expect(types).toEqual(
      expect.arrayContaining(['session.created', 'mfa.enabled', 'account.deletion_scheduled', 'account.purged']),
    );
    // Purged once: a later sweep or a retried job finds nothing more to do.
    expect(await purges.purge(user.tenantId, user.id)).toBe(false);

    // The phone is free again: a first sign-in by code makes a new, unrelated account.
    const code = stack.whatsapp.nextCode(phone);
    expect((await post('/api/auth/send-otp', { phone })).status).toBe(202);
    const signedUp = await post('/api/auth/verify-otp', { phone, otp: await code });
    expect(signedUp.status).toBe(200);
    expect(signedUp.body.user.id).not.toBe(user.id);
  });
});

describe('account deletion without a grace period (ACCOUNT_DELETION_GRACE_DAYS=0)', () => {
  it('should have the worker purge the account at once through its queued job', async () => {
    const sut = await startTestApp({ THROTTLE_ENABLED: 'false', ACCOUNT_DELETION_GRACE_DAYS: '0' });
    try {
      const { user, token } = await signedInUser(sut);
      const deleted = await sut.http.request('DELETE', '/api/account', { token, cookies: false });
      expect(deleted.status).toBe(202);
      const em = sut.app.get(EntityManager);
      const purged = await eventually('the worker purged the account', async () => {
        const row = await em.fork().findOneOrFail(User, { id: user.id });
        return row.email === null && row;
      });
      expect(purged).toMatchObject({ status: 'deleted', purgeAt: null });
    } finally {
      await sut.close();
    }
  });
});
