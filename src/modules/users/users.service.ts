import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { UserViewDto } from './dto/user-view.dto';
import { User, type Role } from './user.entity';

export interface NewPasswordUser {
  tenantId: string;
  /** Already normalised (trimmed, lower-cased). */
  email: string;
  passwordHash: string;
  firstName?: string | null;
  lastName?: string | null;
}

@Injectable()
export class UsersService {
  constructor(private readonly em: EntityManager) {}

  findById(tenantId: string, id: string): Promise<User | null> {
    return this.em.findOne(User, { id, tenantId });
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
   */
  async idOf(tenantId: string, by: { email: string } | { phone: string }): Promise<string | null> {
    const [column, value] = 'email' in by ? ['email', by.email.toLowerCase()] : ['phone', by.phone];
    const rows = await this.em
      .getConnection()
      .execute<Array<{ id: string }>>(`select "id" from "app_user" where "tenant_id" = ? and "${column}" = ?`, [
        tenantId,
        value,
      ]);
    return rows[0]?.id ?? null;
  }

  /**
   * Inserts at once (inside the caller's transaction when `em` is one). A concurrent
   * registration of the same email fails with the (tenant, email) unique violation.
   */
  async createWithPassword(input: NewPasswordUser, em: EntityManager = this.em): Promise<User> {
    const user = em.create(User, {
      tenantId: input.tenantId,
      email: input.email,
      passwordHash: input.passwordHash,
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
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

  /** Profile fields of a registration repeated before the email was verified. */
  async updateProfile(
    user: User,
    profile: { firstName?: string | null; lastName?: string | null },
    em: EntityManager = this.em,
  ): Promise<void> {
    if (profile.firstName !== undefined) user.firstName = profile.firstName;
    if (profile.lastName !== undefined) user.lastName = profile.lastName;
    await em.persist(user).flush();
  }

  /** Idempotent: the first verification time is kept. */
  async markEmailVerified(user: User, at: Date, em: EntityManager = this.em): Promise<void> {
    user.emailVerifiedAt ??= at;
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
      profile: { firstName: user.firstName, lastName: user.lastName },
      mfaEnabled: user.isMfaEnabled,
      createdAt: user.createdAt.toISOString(),
    };
  }
}
