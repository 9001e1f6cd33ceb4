import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { SigningKey } from '../../src/modules/sessions/signing-key.entity';
import { SigningKeysService } from '../../src/modules/sessions/signing-keys.service';
import { newMediumTest, type MediumTest } from './medium.factory';

const ACCESS_TOKEN_TTL_S = 60;
const DAY_MS = 86_400_000;

describe(SigningKeysService.name, () => {
  let medium: MediumTest<SigningKeysService>;
  let sut: SigningKeysService;

  beforeEach(async () => {
    medium = await newMediumTest(SigningKeysService, { env: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_S) } });
    sut = medium.sut;
  });
  afterEach(() => medium.close());

  it('should make one active key at bootstrap and publish it', async () => {
    const rows = await medium.em().find(SigningKey, {});
    expect(rows).toHaveLength(1);
    expect(rows[0].retiredAt).toBeNull();
    expect(rows[0].privateKey).not.toContain('PRIVATE KEY');
    expect((await sut.activeKey()).kid).toBe(rows[0].kid);
    expect(sut.publishedKeys()).toEqual([expect.objectContaining({ kid: rows[0].kid, alg: 'ES256', use: 'sig' })]);
  });

  it('should sign with the new key after a rotation and audit it', async () => {
    const before = (await sut.activeKey()).kid;
    const { kid, retired } = await sut.rotate();
    expect(retired).toEqual([before]);
    expect((await sut.activeKey()).kid).toBe(kid);
    const [event] = await medium.em().find(AuditEvent, { type: 'signing_key.rotated' });
    expect(event).toMatchObject({ outcome: 'success', tenantId: 'default', data: { kid, retired: [before] } });
  });

  it('should keep verifying with a retired key while its tokens may live, and stop after', async () => {
    const old = (await sut.activeKey()).kid;
    await sut.rotate();
    // A token signed just before the rotation lives one ACCESS_TOKEN_TTL more.
    medium.clock.advance(ACCESS_TOKEN_TTL_S * 1000);
    expect((await sut.verificationKey(old))?.kid).toBe(old);
    expect(sut.publishedKeys().map((key) => key.kid)).toContain(old);

    medium.clock.advance(DAY_MS);
    expect(await sut.verificationKey(old)).toBeUndefined();
    expect(sut.publishedKeys().map((key) => key.kid)).not.toContain(old);
    // Retired, not deleted: the row stays for the record.
    expect(await medium.em().count(SigningKey, { kid: old })).toBe(1);
  });

  it('should not know a kid that was never issued', async () => {
    expect(await sut.verificationKey('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });
});
