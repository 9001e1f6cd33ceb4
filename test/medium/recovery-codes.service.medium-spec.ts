import { RecoveryCode } from '../../src/modules/mfa/entities/recovery-code.entity';
import { RecoveryCodesService } from '../../src/modules/mfa/recovery-codes.service';
import { createUser } from '../support/factories';
import { newMediumTest, type MediumTest } from './medium.factory';

describe(RecoveryCodesService.name, () => {
  let medium: MediumTest<RecoveryCodesService>;
  let sut: RecoveryCodesService;

  beforeAll(async () => {
    medium = await newMediumTest(RecoveryCodesService);
    sut = medium.sut;
  });
  afterAll(() => medium.close());

  it('should issue ten distinct codes, stored only as hashes', async () => {
    const user = await createUser(medium.em());
    const codes = await sut.regenerate(user);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const rows = await medium.em().find(RecoveryCode, { userId: user.id });
    expect(rows).toHaveLength(10);
    const stored = rows.map((row) => row.codeHash).join(' ');
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }
    expect(await sut.remaining(user.id)).toBe(10);
  });

  it('should spend a code once, in any case and without its dash, at the time of the clock', async () => {
    const user = await createUser(medium.em());
    const [code] = await sut.regenerate(user);
    medium.clock.advance(3_600_000);
    expect(await sut.consume(user, code.toUpperCase().replace('-', ' '))).toEqual({ remaining: 9 });
    expect(await sut.consume(user, code)).toBeNull();
    const used = await medium.em().findOneOrFail(RecoveryCode, { userId: user.id, usedAt: { $ne: null } });
    expect(used.usedAt).toEqual(medium.clock.now());
  });

  it('should let exactly one of many parallel uses of one code succeed', async () => {
    const user = await createUser(medium.em());
    const [code] = await sut.regenerate(user);
    const results = await Promise.all(Array.from({ length: 8 }, () => sut.consume(user, code)));
    expect(results.filter((result) => result !== null)).toEqual([{ remaining: 9 }]);
  });

  it('should not accept the codes of another user', async () => {
    const owner = await createUser(medium.em());
    const stranger = await createUser(medium.em());
    const [code] = await sut.regenerate(owner);
    await sut.regenerate(stranger);
    expect(await sut.consume(stranger, code)).toBeNull();
    expect(await sut.remaining(owner.id)).toBe(10);
  });

  it('should withdraw every old code, used or not, when the codes are regenerated', async () => {
    const user = await createUser(medium.em());
    const [spent, unused] = await sut.regenerate(user);
    await sut.consume(user, spent);
    const fresh = await sut.regenerate(user);
    expect(await sut.consume(user, unused)).toBeNull();
    expect(await sut.remaining(user.id)).toBe(10);
    expect(await sut.consume(user, fresh[0])).toEqual({ remaining: 9 });
  });

  it('should refuse malformed input without touching the database', async () => {
    const user = await createUser(medium.em());
    await sut.regenerate(user);
    for (const input of ['', 'abcde', 'abcde-fghij-k', 'uuuuu-uuuuu'])
      expect(await sut.consume(user, input)).toBeNull();
    expect(await sut.remaining(user.id)).toBe(10);
  });
});
