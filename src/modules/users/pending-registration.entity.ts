import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

/**
 * An email + password registration whose mailbox nobody has proven yet. It is no account:
 * no sign-in, reset or code flow sees it. Only a verification code issued for this row (the
 * code carries its id) turns it into a user, who then keeps the id. One per address and
 * tenant: a second registration of the same address while this one lives never replaces it.
 */
@Entity({ tableName: 'pending_registration' })
@Unique({ name: 'pending_registration_tenant_email_unique', properties: ['tenantId', 'email'] })
@Index({ name: 'pending_registration_expires_idx', properties: ['expiresAt'] })
export class PendingRegistration {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  /** Lower-cased at the boundary. */
  @Property({ type: 'string', length: 320 })
  email!: string;

  /** Written once, by the registration that made the row; never replaced. */
  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  @Property({ type: 'string', length: 100, nullable: true })
  firstName: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  lastName: string | null = null;

  /**
   * Set when the address was registered again with another password while this row lived:
   * nobody can tell which registrant owns the mailbox, so proving it activates the account
   * with no password at all (the owner sets one by password reset).
   */
  @Property({ type: 'datetime', nullable: true })
  contestedAt: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
