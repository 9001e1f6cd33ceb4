import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { UserProfileDto, UserViewDto } from './dto/user-view.dto';
import type { ClaimedRegistration } from './pending-registrations.service';
import { type AccountSettings, User, type Role } from './user.entity';

/** Who holds an address: enough to decide whether (and in which language) a code goes out. */
export interface AddressHolder {
  id: string;
  deleted: boolean;
  locale: string | null;
}

function liveOnly(which: 'live' | 'any') {
  return which === 'live' ? { status: { $ne: 'deleted' as const } } : {};
}

@Injectable()
export class UsersService {
  constructor(private readonly em: EntityManager) {}

  findById(tenantId: string, id: string, em: EntityManager = this.em): Promise<User | null> {
    return em.findOne(User, { id, tenantId });
  }

  /**
   * The account holding an email. `which: 'live'` leaves a deleted account out: recovery and
   * code sign-in treat it as unknown; only the password sign-in, which must answer
   * ACCOUNT_DELETED to the right password, asks for `any`.
   */
  findByEmail(tenantId: string, email: string, which: 'live' | 'any' = 'live'): Promise<User | null> {
    return this.em.findOne(User, { tenantId, email: email.toLowerCase(), ...liveOnly(which) });
  }

  findByPhone(tenantId: string, phone: string, which: 'live' | 'any' = 'live'): Promise<User | null> {
    return this.em.findOne(User, { tenantId, phone, ...liveOnly(which) });
  }

  /**
   * Who holds an email or phone, without loading the account: loading (hydration) made a
   * known address ~0.4 ms slower to answer than an unknown one, a gap a few hundred timed
   * requests can see. Paths that must not reveal an account use this. An email counts only
   * once its owner proved it: an address nobody verified signs nobody in. A deleted account
   * still holds its addresses until the purge (the unique indexes), so callers learn that too.
   */
  async holderOf(tenantId: string, by: { email: string } | { phone: string }): Promise<AddressHolder | null> {
    const condition = 'email' in by ? `"email" = ? and "email_verified_at" is not null` : `"phone" = ?`;
    const value = 'email' in by ? by.email.toLowerCase() : by.phone;
    const rows = await this.em
      .getConnection()
      .execute<AddressHolder[]>(
        `select "id", "status" = 'deleted' as "deleted", "locale" from "app_user" where "tenant_id" = ? and ${condition}`,
        [tenantId, value],
      );
    return rows[0] ?? null;
  }

  /** The owner deleted the account: sign-in refuses it from now on, the worker erases it at `purgeAt`. */
  async markDeleted(user: User, purgeAt: Date, em: EntityManager): Promise<void> {
    em.assign(user, { status: 'deleted', purgeAt });
    await em.persist(user).flush();
  }

  /**
   * The purge of a deleted account's own row: every personal field goes; the id, tenant, status
   * and creation time stay, so audit events still name an (now anonymous) account.
   */
  async erasePersonalData(user: User, em: EntityManager): Promise<void> {
    em.assign(user, {
      email: null,
      emailVerifiedAt: null,
      phone: null,
      phoneVerifiedAt: null,
      passwordHash: null,
      passwordChangedAt: null,
      firstName: null,
      lastName: null,
      photoUrl: null,
      country: null,
      locale: null,
      settings: {},
      roles: ['user'],
      isMfaEnabled: false,
      purgeAt: null,
    });
    await em.persist(user).flush();
  }

  /**
   * The account a registration becomes once its mailbox is proven: the registration's id,
   * the email verified `at`, its password unless it was contested. Inserted at once inside
   * the caller's transaction; an account that took the address meanwhile fails it with the
   * (tenant, email) unique violation.
   */
  async createFromRegistration(registration: ClaimedRegistration, at: Date, em: EntityManager): Promise<User> {
    const user = em.create(User, {
      id: registration.id,
      tenantId: registration.tenantId,
      email: registration.email,
      emailVerifiedAt: at,
      passwordHash: registration.passwordHash,
      firstName: registration.firstName,
      lastName: registration.lastName,
    });
    await em.persist(user).flush();
    return user;
  }

  /** `changedAt` is null for a rehash (same password, new parameters): only real changes move it. */
  async setPasswordHash(user: User, hash: string, changedAt: Date | null, em: EntityManager = this.em): Promise<void> {
    user.passwordHash = hash;
    if (changedAt) user.passwordChangedAt = changedAt;
    await em.persist(user).flush();
  }

  /** Returns whether the role was new. */
  async grantRole(user: User, role: Role, em: EntityManager = this.em): Promise<boolean> {
    if (user.roles.includes(role)) return false;
    // A new array, so that the ORM sees the change of the text[] column.
    user.roles = [...user.roles, role];
    await em.persist(user).flush();
    return true;
  }

  isEmailVerified(user: User): boolean {
    return user.emailVerifiedAt !== null;
  }

  profileOf(user: User): UserProfileDto {
    return {
      firstName: user.firstName,
      lastName: user.lastName,
      photoUrl: user.photoUrl,
      country: user.country,
      locale: user.locale,
    };
  }

  /** Sets the profile fields given (null clears one) and the settings as merged by the caller. */
  async updateAccount(
    user: User,
    changes: { profile?: Partial<UserProfileDto>; settings?: AccountSettings },
    em: EntityManager = this.em,
  ): Promise<void> {
    em.assign(user, { ...changes.profile, ...(changes.settings ? { settings: changes.settings } : {}) });
    await em.persist(user).flush();
  }

  /** A new, verified email or phone; the (tenant, address) unique index refuses one another account holds. */
  async updateContact(
    user: User,
    change: { email: string; emailVerifiedAt: Date } | { phone: string; phoneVerifiedAt: Date },
    em: EntityManager = this.em,
  ): Promise<void> {
    em.assign(user, change);
    await em.persist(user).flush();
  }

  toView(user: User): UserViewDto {
    return {
      id: user.id,
      tenantId: user.tenantId,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      phone: user.phone,
      phoneVerified: user.phoneVerifiedAt !== null,
      roles: user.roles,
      status: user.status,
      profile: this.profileOf(user),
      mfaEnabled: user.isMfaEnabled,
      createdAt: user.createdAt.toISOString(),
    };
  }
}
