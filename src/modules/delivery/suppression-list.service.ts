import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import { AuditService } from '../audit/audit.service';
import type { DeliveryDestination } from './delivery-destination';
import type { DeliveryMessage } from './delivery-message.entity';
import type { DeliveryScope } from './delivery-query.service';
import { DeliverySuppression } from './delivery-suppression.entity';
import { DestinationHasher } from './destination-hasher';
import { PhoneDestinationPolicy, type TextablePhone } from './phone-destination.policy';

const SUPPRESSED_SQL = `
select 1 from "delivery_suppression"
 where "tenant_id" = ? and "channel" = ? and "destination_hash" = ? and "lifted_at" is null
 limit 1`;

/**
 * A new entry, or a lifted one suppressed again, but only by a message written after the lift:
 * a provider's event about an older message (a late callback, or a replay once the replay
 * guard forgot it) must not undo an admin's decision.
 */
const SUPPRESS_SQL = `
insert into "delivery_suppression"
  ("id", "tenant_id", "channel", "destination_hash", "destination_masked", "reason", "created_at")
values (?, ?, ?, ?, ?, ?, ?)
on conflict ("tenant_id", "channel", "destination_hash") do update
   set "reason" = excluded."reason", "destination_masked" = excluded."destination_masked",
       "created_at" = excluded."created_at", "lifted_at" = null
 where "delivery_suppression"."lifted_at" is not null and "delivery_suppression"."lifted_at" < ?`;

/** Destinations that bounced permanently or complained, and whether a destination may be sent to at all. */
@Injectable()
export class SuppressionListService {
  constructor(
    private readonly em: EntityManager,
    private readonly hasher: DestinationHasher,
    private readonly phones: PhoneDestinationPolicy,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async isSuppressed(
    tenantId: string,
    destination: DeliveryDestination,
    em: EntityManager = this.em,
  ): Promise<boolean> {
    const rows = await em.execute<unknown[]>(SUPPRESSED_SQL, [
      tenantId,
      destination.channel,
      this.hasher.hash(destination),
    ]);
    return rows.length > 0;
  }

  /**
   * 422 DESTINATION_UNDELIVERABLE for a suppressed destination, or a phone number this service
   * does not text (PhoneDestinationPolicy). Answers what the policy found of a phone number.
   */
  async assertDeliverable(tenantId: string, destination: DeliveryDestination): Promise<TextablePhone | null> {
    const phone =
      destination.channel === 'email' ? null : await this.phones.assertTextable(tenantId, destination.address);
    if (await this.isSuppressed(tenantId, destination)) throw new AppException('DESTINATION_UNDELIVERABLE');
    return phone;
  }

  /**
   * Suppresses the destination of `message` for its bounce or complaint; true when that wrote
   * an entry. A destination an admin lifted after `message` was written stays lifted.
   */
  async suppress(
    em: EntityManager,
    message: Pick<DeliveryMessage, 'tenantId' | 'channel' | 'destinationHash' | 'destinationMasked' | 'createdAt'>,
    reason: string,
  ): Promise<boolean> {
    const written = await em.execute<{ affectedRows?: number }>(
      SUPPRESS_SQL,
      [
        randomUUID(),
        message.tenantId,
        message.channel,
        message.destinationHash,
        message.destinationMasked,
        reason.slice(0, 200),
        new Date(this.clock.nowMs()),
        message.createdAt,
      ],
      'run',
    );
    return (written.affectedRows ?? 0) > 0;
  }

  /**
   * Lifts a suppression (kept, marked lifted: see SUPPRESS_SQL). NOT_FOUND for an id outside
   * the caller's scope or already lifted, as for a missing one.
   */
  async lift(scope: DeliveryScope, id: string, actorId: string): Promise<void> {
    const where: Record<string, unknown> = { id, liftedAt: null };
    if (scope.tenantId !== undefined) where.tenantId = scope.tenantId;
    const suppression = await this.em.findOne(DeliverySuppression, where);
    if (!suppression) throw new AppException('NOT_FOUND');
    await this.em.transactional(async (em) => {
      const lifted = await em.nativeUpdate(
        DeliverySuppression,
        { id: suppression.id, liftedAt: null },
        { liftedAt: new Date(this.clock.nowMs()) },
      );
      if (lifted === 0) throw new AppException('NOT_FOUND');
      await this.audit.record(
        {
          type: 'delivery.suppression_removed',
          outcome: 'success',
          tenantId: suppression.tenantId,
          actorId,
          data: { channel: suppression.channel, destination: suppression.destinationMasked },
        },
        undefined,
        em,
      );
    });
  }
}
