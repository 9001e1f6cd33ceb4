import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { totpCode } from '../e2e/mfa-support';
import { uniqueEmail, uniquePhone } from '../support/otp-test-helpers';
import { startProviderStack, type ProviderStack } from '../support/provider-stack';
import { TestClock } from '../support/test-clock';
import * as flows from './flows';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
/** The generated types the flows compile against, committed so `npm run typecheck` and lint see them. */
const COMMITTED = join(__dirname, 'generated/openapi.d.ts');
const PASSWORD = 'a generated client signs in 42';

/**
 * A client generated from the committed openapi.json drives the README's flows against the
 * service, as a team adopting SecureAuth would: the document must be exact enough that the
 * client compiles with `--strict` and no casts, and that every flow works unmodified.
 */
describe('a client generated from openapi.json (openapi-typescript + openapi-fetch)', () => {
  let stack: ProviderStack;
  let inbox: flows.Inbox;
  const admin = uniqueEmail('admin');

  beforeAll(async () => {
    stack = await startProviderStack({ BOOTSTRAP_ADMIN_EMAILS: admin, THROTTLE_ENABLED: 'false' });
    const clock = TestClock.of(stack.sut);
    inbox = {
      emailCode: (email) => stack.smtp.waitForCode(email),
      phoneCode: (phone) => stack.twilio.waitForCode(phone),
      // Each code from a step of its own: a TOTP code is accepted once only.
      totpCode: (secret) => totpCode(secret, clock.advance(30_000).nowMs()),
    };
  }, 60_000);
  afterAll(() => stack?.close());

  const api = (token?: string) => flows.clientFor(stack.sut.url, token);

  it('should generate the committed client types from the committed openapi.json', async () => {
    const generated = join(mkdtempSync(join(tmpdir(), 'openapi-client-')), 'openapi.d.ts');
    await run(process.execPath, [
      join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'),
      join(ROOT, 'openapi.json'),
      '--output',
      generated,
    ]);
    // `npm run openapi` writes both: a difference means one of them was not regenerated.
    expect(readFileSync(generated, 'utf8')).toBe(readFileSync(COMMITTED, 'utf8'));
  }, 60_000);

  it('should compile the flows against the generated types with --strict, without casts or any', async () => {
    const code = readFileSync(join(__dirname, 'flows.ts'), 'utf8')
      .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '') // comments
      .replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''"); // strings
    // No cast (`as T`), no `any`, no non-null assertion, no suppressed error.
    expect(code).not.toMatch(/\bas\s+(?!const\b)\w|\bany\b|\w!\s*[.;,)\]]|@ts-/);
    const compiled = await run(process.execPath, [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(__dirname, 'tsconfig.json'),
    ]).catch((error: Error & { stdout?: string }) => ({ stdout: error.stdout ?? error.message }));
    expect(compiled.stdout).toBe('');
  }, 60_000);

  it('should sign up, sign in, refresh, list and revoke sessions, and name the device', async () => {
    const email = uniqueEmail('client');
    const signedUp = await flows.signUp(api(), inbox, email, PASSWORD);
    expect(signedUp.user.emailVerified).toBe(true);
    const signedIn = await flows.signIn(api(), inbox, { email, password: PASSWORD });
    expect(signedIn.refreshToken).toEqual(expect.any(String));
    const refreshed = await flows.refresh(api(), signedIn.refreshToken ?? '');
    expect(refreshed.sessionId).toBe(signedIn.sessionId);
    expect(await flows.refreshWithoutCookie(api())).toEqual(expect.any(String));
    const sessions = await flows.manageSessions(api(refreshed.accessToken));
    expect(sessions).toEqual({ userId: signedUp.user.id, before: 2, after: 1 });
    expect(await flows.nameDevice(api(refreshed.accessToken), 'Work laptop')).toBe('Work laptop');
  });

  it('should enrol TOTP and then sign in with the second factor', async () => {
    const email = uniqueEmail('client-mfa');
    const { accessToken } = await flows.signUp(api(), inbox, email, PASSWORD);
    const { secret, recoveryCodes } = await flows.enrolTotp(api(accessToken), inbox);
    expect(recoveryCodes).toHaveLength(10);
    const signedIn = await flows.signIn(api(), inbox, { email, password: PASSWORD, totpSecret: secret });
    expect(signedIn.user.email).toBe(email);
    await expect(flows.signIn(api(), inbox, { email, password: PASSWORD })).rejects.toThrow(
      'a second factor is needed',
    );
  });

  it('should sign in with a code sent by SMS', async () => {
    const phone = uniquePhone();
    const signedIn = await flows.signInByPhone(api(), inbox, phone);
    expect(signedIn.user.phone).toBe(phone);
  });

  it('should let an admin page through the users', async () => {
    const { accessToken } = await flows.signUp(api(), inbox, admin, PASSWORD);
    const others = [uniqueEmail('listed'), uniqueEmail('listed')];
    for (const email of others) await flows.signUp(api(), inbox, email, PASSWORD);
    expect((await flows.findUsers(api(accessToken), 'listed-')).sort()).toEqual(expect.arrayContaining(others.sort()));
  });
});
