import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import type { DeliveryChannel } from './delivery-destination';

/**
 * A destination that bounced permanently or complained: nothing is sent to it again until an
 * admin lifts it. A lifted entry stays (liftedAt set) so that a late or replayed provider event
 * about a message sent before the lift cannot put it back; a message sent after the lift can.
 */
@Entity({ tableName: 'delivery_suppression' })
@Unique({ name: 'delivery_suppression_destination_unique', properties: ['tenantId', 'channel', 'destinationHash'] })
@Index({ name: 'delivery_suppression_tenant_created_idx', properties: ['tenantId', 'createdAt', 'id'] })
export class DeliverySuppression {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'string', length: 16 })
  channel!: DeliveryChannel;

  @Property({ type: 'string', length: 64 })
  destinationHash!: string;

  @Property({ type: 'string', length: 64 })
  destinationMasked!: string;

  @Property({ type: 'string', length: 200 })
  reason!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  liftedAt?: Date | null;
}
