import { UserMfa } from '../../src/modules/mfa/entities/user-mfa.entity';
import { TotpService } from '../../src/modules/mfa/totp.service';
import type { User } from '../../src/modules/users/user.entity';
import { createUser } from '../support/factories';
import { totpCode } from '../e2e/mfa-support';

const TOTP_STEP_MS = 30_000;
import { newMediumTest, type MediumTest } from './medium.factory';

describe(TotpService.name, () => {
  let medium: MediumTest<TotpService>;
  let sut: TotpService;

  beforeAll(async () => {
    // Ten seconds into a step: far from both of its ends, whatever the step arithmetic.
    medium = await newMediumTest(TotpService, { clockStart: 1_800_000_000_000 + 10_000 });
    sut = medium.sut;
  });
  afterAll(() => medium.close());

  /** A user whose TOTP secret is set up and confirmed, as MfaService leaves it. */
  async function enrolled(): Promise<{ user: User; secret: string }> {
    const user = await createUser(medium.em());
    const { secret } = await sut.setup(user);
    await medium.em().nativeUpdate(UserMfa, { userId: user.id }, { totpConfirmedAt: medium.clock.now() });
    return { user, secret };
  }

  it('should accept the code of the current step once and refuse its replay', async () => {
    const { user, secret } = await enrolled();
    const code = totpCode(secret, medium.clock.nowMs());
    expect(await sut.acceptCode(user.id, code, true)).toBe(true);
    expect(await sut.acceptCode(user.id, code, true)).toBe(false);
  });

  it('should accept a code one step off either way and refuse one two steps off', async () => {
    const { user, secret } = await enrolled();
    const at = (steps: number) => totpCode(secret, medium.clock.nowMs() + steps * TOTP_STEP_MS);
    expect(await sut.acceptCode(user.id, at(-2), true)).toBe(false);
    expect(await sut.acceptCode(user.id, at(2), true)).toBe(false);
    expect(await sut.acceptCode(user.id, at(-1), true)).toBe(true);
    expect(await sut.acceptCode(user.id, at(1), true)).toBe(true);
  });

  it('should refuse an older step once a newer one was used', async () => {
    const { user, secret } = await enrolled();
    expect(await sut.acceptCode(user.id, totpCode(secret, medium.clock.nowMs()), true)).toBe(true);
    expect(await sut.acceptCode(user.id, totpCode(secret, medium.clock.nowMs() - TOTP_STEP_MS), true)).toBe(false);
  });

  it('should refuse a code whose step has passed by two steps, and accept the code of the new step', async () => {
    const { user, secret } = await enrolled();
    const code = totpCode(secret, medium.clock.nowMs());
    const later = medium.clock.nowMs() + 2 * TOTP_STEP_MS;
    medium.clock.advance(2 * TOTP_STEP_MS);
    expect(await sut.acceptCode(user.id, code, true)).toBe(false);
    expect(await sut.acceptCode(user.id, totpCode(secret, later), true)).toBe(true);
  });

  it('should let exactly one of many parallel uses of one code succeed', async () => {
    const { user, secret } = await enrolled();
    const code = totpCode(secret, medium.clock.nowMs());
    const results = await Promise.all(Array.from({ length: 8 }, () => sut.acceptCode(user.id, code, true)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('should not accept a code for a pending secret as a confirmed one, nor the reverse', async () => {
    const user = await createUser(medium.em());
    const { secret } = await sut.setup(user);
    const code = totpCode(secret, medium.clock.nowMs());
    expect(await sut.acceptCode(user.id, code, true)).toBe(false);
    expect(await sut.acceptCode(user.id, code, false)).toBe(true);
    const confirmed = await enrolled();
    expect(await sut.acceptCode(confirmed.user.id, totpCode(confirmed.secret, medium.clock.nowMs()), false)).toBe(
      false,
    );
  });

  it('should store the secret encrypted and bound to its user', async () => {
    const { user, secret } = await enrolled();
    const row = await medium.em().findOneOrFail(UserMfa, { userId: user.id });
    expect(row.totpSecret).not.toContain(secret);
    expect(sut.decrypt(user.id, row.totpSecret!)).toBe(secret);
    const other = await createUser(medium.em());
    expect(() => sut.decrypt(other.id, row.totpSecret!)).toThrow();
  });
});
