import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { UserProfileDto, UserViewDto } from './dto/user-view.dto';
import type { ClaimedRegistration } from './pending-registrations.service';
import { type AccountSettings, User, type Role } from './user.entity';

@Injectable()
export class UsersService {
  constructor(private readonly em: EntityManager) {}

  findById(tenantId: string, id: string, em: EntityManager = this.em): Promise<User | null> {
    return em.findOne(User, { id, tenantId });
  }

  findByEmail(tenantId: string, email: string): Promise<User | null> {
    return this.em.findOne(User, { tenantId, email: email.toLowerCase() });
  }

  findByPhone(tenantId: string, phone: string): Promise<User | null> {
    return this.em.findOne(User, { tenantId, phone });
  }

  /**
   * The id of the account behind an email or phone, without loading the account: loading
   * (hydration) made a known address ~0.4 ms slower to answer than an unknown one, a gap a
   * few hundred timed requests can see. Paths that must not reveal an account use this.
   * An email counts only once its owner proved it: an address nobody verified signs nobody in.
   */
  async idOf(tenantId: string, by: { email: string } | { phone: string }): Promise<string | null> {
    const condition = 'email' in by ? `"email" = ? and "email_verified_at" is not null` : `"phone" = ?`;
    const value = 'email' in by ? by.email.toLowerCase() : by.phone;
    const rows = await this.em
      .getConnection()
      .execute<Array<{ id: string }>>(`select "id" from "app_user" where "tenant_id" = ? and ${condition}`, [
        tenantId,
        value,
      ]);
    return rows[0]?.id ?? null;
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
