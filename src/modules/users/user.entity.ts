import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { type Role } from '../../common/auth/role';

// Role lives in common (guards and tokens use it); users re-export it for their own callers.
export { ROLES, type Role } from '../../common/auth/role';

/** What an admin may set. */
export const ADMIN_STATUSES = ['active', 'restricted', 'disabled'] as const;
/** `deleted`: the owner deleted the account (DELETE /api/account); only the purge touches it afterwards. */
export const USER_STATUSES = [...ADMIN_STATUSES, 'deleted'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];
export type AdminStatus = (typeof ADMIN_STATUSES)[number];

export const THEMES = ['auto', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

/** What a user chose; absent keys take the defaults of AccountService.settingsOf. */
export interface AccountSettings {
  theme?: Theme;
  notifications?: { email?: boolean; sms?: boolean };
  privacy?: { publicView?: boolean };
}

/** Emails and phones are unique per tenant, not globally (API.md "Tenant"). */
@Entity({ tableName: 'app_user' })
@Unique({ name: 'app_user_tenant_email_unique', properties: ['tenantId', 'email'] })
@Unique({ name: 'app_user_tenant_phone_unique', properties: ['tenantId', 'phone'] })
@Index({ name: 'app_user_tenant_created_idx', properties: ['tenantId', 'createdAt', 'id'] })
// The purge sweep's "deleted and due": only deleted accounts awaiting their purge are in it.
@Index({
  name: 'app_user_purge_due_idx',
  expression: 'create index "app_user_purge_due_idx" on "app_user" ("purge_at") where "purge_at" is not null',
})
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  /** Lower-cased at the boundary. */
  @Property({ type: 'string', length: 320, nullable: true })
  email: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  emailVerifiedAt: Date | null = null;

  /** E.164. */
  @Property({ type: 'string', length: 20, nullable: true })
  phone: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  phoneVerifiedAt: Date | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  firstName: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  lastName: string | null = null;

  /** https only (validated at the boundary). */
  @Property({ type: 'text', nullable: true })
  photoUrl: string | null = null;

  /** ISO 3166-1 alpha-2, upper case. */
  @Property({ type: 'string', length: 2, nullable: true })
  country: string | null = null;

  /** BCP 47, canonical spelling (Intl.getCanonicalLocales): the language of pages, emails and texts. */
  @Property({ type: 'string', length: 35, nullable: true })
  locale: string | null = null;

  /** The account settings of API.md (theme, notifications, privacy), merged key by key. */
  @Property({ type: 'json', defaultRaw: `'{}'` })
  settings: AccountSettings & Opt = {};

  @Property({ type: 'text[]', defaultRaw: "'{user}'" })
  roles: Role[] & Opt = ['user'];

  @Property({ type: 'string', length: 16, default: 'active' })
  status: UserStatus & Opt = 'active';

  /**
   * When the worker erases a deleted account's personal data; null once done (status stays
   * `deleted`, the id stays for the audit trail) and for every account not deleted.
   */
  @Property({ type: 'datetime', nullable: true })
  purgeAt: Date | null = null;

  /** Kept by the mfa module: true while the user has any second factor enabled. */
  @Property({ type: 'boolean', default: false })
  isMfaEnabled: boolean & Opt = false;

  /** Grants admin reach across tenants; only the CLI sets it. */
  @Property({ type: 'boolean', default: false })
  isPlatformAdmin: boolean & Opt = false;

  @Property({ type: 'datetime', nullable: true })
  passwordChangedAt: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
