import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/**
 * How long a registration waits for its mailbox to be proven. Longer than a code lives, so
 * that a resend still activates it; while it lives, nobody else's registration of the address
 * can take its place.
 */
export const REGISTRATION_LIFETIME_SECONDS = 24 * 3600;

/** Expired registrations each new one clears away: nobody's unproven address and hash are kept for long. */
const PURGE_BATCH = 100;

export interface NewRegistration {
  tenantId: string;
  /** Already normalised (trimmed, lower-cased). */
  email: string;
  passwordHash: string;
  firstName?: string | null;
  lastName?: string | null;
}

/** What a registration flow needs of a live pending registration. */
export interface LiveRegistration {
  id: string;
  passwordHash: string;
  isContested: boolean;
}

/** A pending registration taken out of the table to become a user. */
export interface ClaimedRegistration {
  id: string;
  tenantId: string;
  email: string;
  /** Null when the registration was contested: the account starts without a password. */
  passwordHash: string | null;
  firstName: string | null;
  lastName: string | null;
  wasContested: boolean;
}

interface RegistrationRow {
  id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  first_name: string | null;
  last_name: string | null;
  contested_at: Date | null;
}

/**
 * Registrations not yet proven by their mailbox (see PendingRegistration). Every change is
 * one conditional statement, so that any number of API processes registering, contesting
 * and activating the same address at once agree on the outcome.
 */
@Injectable()
export class PendingRegistrationsService {
  constructor(private readonly em: EntityManager) {}

  async findLive(tenantId: string, email: string, now: Date): Promise<LiveRegistration | null> {
    const rows = await this.em.execute<Array<Pick<RegistrationRow, 'id' | 'password_hash' | 'contested_at'>>>(
      `select "id", "password_hash", "contested_at" from "pending_registration"
        where "tenant_id" = ? and "email" = ? and "expires_at" > ?`,
      [tenantId, email.toLowerCase(), now],
    );
    const row = rows[0];
    return row ? { id: row.id, passwordHash: row.password_hash, isContested: row.contested_at !== null } : null;
  }

  /**
   * Stores a new registration and answers its id, or null when a live one holds the address
   * (a concurrent registration won). An expired one is replaced, under a new id, so that a
   * code issued for it can never activate the new one.
   */
  async create(input: NewRegistration, now: Date): Promise<string | null> {
    await this.em.execute(
      `delete from "pending_registration" where "id" in
         (select "id" from "pending_registration" where "expires_at" <= ? order by "expires_at" limit ?)`,
      [now, PURGE_BATCH],
    );
    const expiresAt = new Date(now.getTime() + REGISTRATION_LIFETIME_SECONDS * 1000);
    const rows = await this.em.execute<Array<{ id: string }>>(
      `insert into "pending_registration"
         ("id", "tenant_id", "email", "password_hash", "first_name", "last_name", "contested_at", "created_at", "expires_at")
       values (?, ?, ?, ?, ?, ?, null, ?, ?)
       on conflict ("tenant_id", "email") do update set
         "id" = excluded."id", "password_hash" = excluded."password_hash", "first_name" = excluded."first_name",
         "last_name" = excluded."last_name", "contested_at" = null, "created_at" = excluded."created_at",
         "expires_at" = excluded."expires_at"
       where "pending_registration"."expires_at" <= excluded."created_at"
       returning "id"`,
      [
        randomUUID(),
        input.tenantId,
        input.email,
        input.passwordHash,
        input.firstName ?? null,
        input.lastName ?? null,
        now,
        expiresAt,
      ],
    );
    return rows[0]?.id ?? null;
  }

  /** Marks the registration contested (idempotent); its password will not be activated. */
  async contest(id: string, now: Date): Promise<void> {
    await this.em.execute(
      `update "pending_registration" set "contested_at" = ? where "id" = ? and "contested_at" is null`,
      [now, id],
    );
  }

  /**
   * Removes the live registration `id` of this address and answers it, inside the caller's
   * transaction (`em`), so that it becomes a user or stays pending, never both or neither.
   * Null when it expired, was replaced or was already activated.
   */
  async claim(
    em: EntityManager,
    registration: { id: string; tenantId: string; email: string },
    now: Date,
  ): Promise<ClaimedRegistration | null> {
    const rows = await em.execute<RegistrationRow[]>(
      `delete from "pending_registration"
        where "id" = ? and "tenant_id" = ? and "email" = ? and "expires_at" > ?
        returning "id", "tenant_id", "email", "password_hash", "first_name", "last_name", "contested_at"`,
      [registration.id, registration.tenantId, registration.email.toLowerCase(), now],
    );
    const row = rows[0];
    if (!row) return null;
    const wasContested = row.contested_at !== null;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      email: row.email,
      passwordHash: wasContested ? null : row.password_hash,
      firstName: row.first_name,
      lastName: row.last_name,
      wasContested,
    };
  }
}
