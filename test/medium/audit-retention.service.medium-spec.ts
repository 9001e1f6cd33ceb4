import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { AuditRetentionService } from '../../src/modules/audit/audit-retention.service';
import { createAuditEvents, createTenant } from '../support/factories';
import { newMediumTest, type MediumTest } from './medium.factory';

const DAY_MS = 86_400_000;

describe(AuditRetentionService.name, () => {
  let medium: MediumTest<AuditRetentionService>;
  let sut: AuditRetentionService;

  beforeAll(async () => {
    medium = await newMediumTest(AuditRetentionService, {
      env: { AUDIT_RETENTION_DAYS: '365', AUDIT_PRUNE_BATCH_SIZE: '2' },
    });
    sut = medium.sut;
  });
  afterAll(() => medium.close());

  /** Events of a fresh tenant, `ageDays` old by the test clock. */
  async function history(...ageDays: number[]): Promise<string> {
    const tenantId = await createTenant(medium.em());
    await createAuditEvents(
      medium.em(),
      ageDays.map((age) => ({ tenantId, createdAt: new Date(medium.clock.nowMs() - age * DAY_MS) })),
    );
    return tenantId;
  }

  const left = (tenantId: string) =>
    medium.em().find(AuditEvent, { tenantId, type: { $ne: 'audit.pruned' } }, { orderBy: { createdAt: 'asc' } });

  it('should delete only events older than the retention period, in batches, and record it per tenant', async () => {
    const tenantId = await history(400, 400, 380, 366, 300, 1);
    const { deleted, cutoff } = await sut.prune();
    expect(cutoff).toEqual(new Date(medium.clock.nowMs() - 365 * DAY_MS));
    expect(deleted).toBeGreaterThanOrEqual(4);
    expect(
      (await left(tenantId)).map((event) => Math.round((medium.clock.nowMs() - event.createdAt.getTime()) / DAY_MS)),
    ).toEqual([300, 1]);
    const [pruned] = await medium.em().find(AuditEvent, { tenantId, type: 'audit.pruned' });
    expect(pruned.data).toMatchObject({ deleted: 4 });
  });

  it('should prune what has aged past the period once the clock has moved', async () => {
    const tenantId = await history(300, 1);
    await sut.prune();
    expect(await left(tenantId)).toHaveLength(2);
    medium.clock.advance(100 * DAY_MS);
    await sut.prune();
    expect(await left(tenantId)).toHaveLength(1);
  });

  it('should not let anything else delete audit events', async () => {
    const tenantId = await history(1000);
    await expect(medium.em().nativeDelete(AuditEvent, { tenantId })).rejects.toThrow();
    expect(await left(tenantId)).toHaveLength(1);
  });
});
