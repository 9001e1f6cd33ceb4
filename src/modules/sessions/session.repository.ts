import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../../config/database.config';
import { PreparedStatement } from '../../database/prepared-statement';
import { INSERT_AUDIT_EVENT, type AuditOrigin } from '../audit/audit-row';
import type { DeviceSummaryDto } from '../devices/dto/device.dto';
import { userFromSnapshot, USER_SNAPSHOT_COLUMNS, type UserSnapshotRow } from '../users/user-snapshot';
import type { User } from '../users/user.entity';
import { Session } from './session.entity';
import { UUID_PATTERN } from './session-token';

export interface SessionFilter {
  id?: string;
  tenantId?: string;
  userId?: string;
  deviceId?: string;
  exceptId?: string;
}

export interface RevokedSession {
  id: string;
  tenantId: string;
  userId: string;
  deviceId: string | null;
}

/** The session facts a live record and an AuthResult are made of (a Session entity is one). */
export type SessionFacts = Pick<
  Session,
  | 'id'
  | 'tenantId'
  | 'userId'
  | 'deviceId'
  | 'amr'
  | 'aal'
  | 'authTime'
  | 'createdAt'
  | 'lastSeenAt'
  | 'expiresAt'
  | 'idleExpiresAt'
>;

export interface RotationInput {
  id: string;
  tenantId: string;
  oldHash: string;
  newHash: string;
  /** The new token sealed under the old one (refresh-successor.ts); null = no grace window. */
  sealedSuccessor: Buffer | null;
  now: Date;
  idleExpiresAt: Date;
  audit: {
    id: string;
    ip: string | null;
    userAgent: string | null;
    requestId: string | null;
    createdAt: Date;
    origin: AuditOrigin;
  };
}

export interface Rotation {
  session: SessionFacts;
  user: User;
  device: DeviceSummaryDto | null;
}

/** A session whose current token replaced the presented one within the grace window. */
export interface GraceCandidate extends Rotation {
  /** SHA-256 of the session's current refresh token. */
  tokenHash: string;
  sealedSuccessor: Buffer;
}

interface RotationRow extends UserSnapshotRow {
  id: string;
  tenant_id: string;
  user_id: string;
  device_id: string | null;
  amr: string[];
  aal: number | string;
  auth_time: Date | string;
  created_at: Date | string;
  last_seen_at: Date | string;
  expires_at: Date | string;
  idle_expires_at: Date | string;
  device_name: string | null;
  device_platform: string | null;
}

/** What an AuthResult needs of a session row `r`, its user `u` (users' columns) and its device `d`. */
const ROTATION_COLUMNS = `r."id", r."tenant_id", r."user_id", r."device_id", r."amr", r."aal", r."auth_time", r."created_at",
       r."last_seen_at", r."expires_at", r."idle_expires_at",
       ${USER_SNAPSHOT_COLUMNS},
       d."name" as "device_name", d."platform" as "device_platform"`;

function rotationOf(row: RotationRow): Rotation {
  return {
    session: {
      id: row.id,
      tenantId: row.tenant_id,
      userId: row.user_id,
      deviceId: row.device_id,
      amr: row.amr,
      aal: Number(row.aal) as 1 | 2,
      authTime: new Date(row.auth_time),
      createdAt: new Date(row.created_at),
      lastSeenAt: new Date(row.last_seen_at),
      expiresAt: new Date(row.expires_at),
      idleExpiresAt: new Date(row.idle_expires_at),
    },
    user: userFromSnapshot(row),
    // device.name is NOT NULL: a null here means no device row (as findOne giving null did).
    device:
      row.device_id && row.device_name !== null
        ? { id: row.device_id, name: row.device_name, platform: row.device_platform }
        : null,
  };
}

interface RevokedRow {
  id: string;
  user_id: string;
  device_id: string | null;
  tenant_id: string;
}

const revokedOf = (row: RevokedRow): RevokedSession => ({
  id: row.id,
  tenantId: row.tenant_id,
  userId: row.user_id,
  deviceId: row.device_id,
});

/** SessionRepository.rotate's statement ($2 is now; $7 the presented token's hash; $8–$15 the audit row's). */
const ROTATE = new PreparedStatement<RotationRow>(
  'session-rotate',
  `with rotated as (
     update "session" s
        set "token_hash" = $1, "previous_token_hash" = s."token_hash", "rotated_at" = $2, "sealed_successor" = $3,
            "last_seen_at" = $2, "idle_expires_at" = least(s."expires_at", $4::timestamptz)
      where s."id" = $5 and s."tenant_id" = $6 and s."token_hash" = $7 and s."revoked_at" is null
        and s."expires_at" > $2 and s."idle_expires_at" > $2
        -- a disabled or restricted user never gets new tokens (the caller then revokes)
        and exists (select 1 from "app_user" u
                     where u."id" = s."user_id" and u."tenant_id" = s."tenant_id" and u."status" = 'active')
      returning s.*
   ),
   retired as (
     insert into "refresh_token" ("token_hash", "session_id", "rotated_at")
     select $7::varchar, r."id", $2::timestamptz from rotated r
   ),
   -- the audit row (audit's columns), written by the same statement so it commits with the rotation
   audited as (
     ${INSERT_AUDIT_EVENT}
     select $8::uuid, r."tenant_id", 'session.refreshed', 'success', r."user_id", r."user_id", r."id", r."device_id",
            $9::varchar, $10::varchar, $11::varchar, null, $12::timestamptz, $13::varchar, $14::varchar, $15::varchar
       from rotated r
   )
   select ${ROTATION_COLUMNS}
     from rotated r
     join "app_user" u on u."id" = r."user_id"
     left join "device" d on d."id" = r."device_id"`,
);

/** The session table's conditional writes: every state change is one guarded UPDATE. */
@Injectable()
export class SessionRepository {
  constructor(@Inject(databaseConfig.KEY) private readonly db: ConfigType<typeof databaseConfig>) {}

  /**
   * Compare-and-swap of the refresh token, as ONE statement (one round trip, its own
   * transaction): rotates only while `oldHash` is current, the session is live and its user
   * is active; the same statement records the old hash as rotated (replay detection), keeps
   * it with the sealed new token for the grace window (see findWithinGrace) and the
   * `session.refreshed` audit event, and returns what the AuthResult needs (session, user,
   * device), so nothing is re-read. Concurrent callers with one token serialise on the row
   * lock and re-check `token_hash` after it: exactly one wins. Null: nothing rotated. Prepared
   * (ROTATE): the refresh path's one statement is planned once per connection.
   */
  async rotate(em: EntityManager, input: RotationInput): Promise<Rotation | null> {
    const rows = await ROTATE.run(
      em,
      [
        input.newHash,
        input.now,
        input.sealedSuccessor,
        input.idleExpiresAt,
        input.id,
        input.tenantId,
        input.oldHash,
        input.audit.id,
        input.audit.ip,
        input.audit.userAgent,
        input.audit.requestId,
        input.audit.createdAt,
        input.audit.origin.country,
        input.audit.origin.city,
        input.audit.origin.service,
      ],
      this.db.preparedStatements,
    );
    const row = rows[0];
    return row ? rotationOf(row) : null;
  }

  /**
   * The session whose current refresh token replaced `presentedHash` after `rotatedAfter`
   * (the grace window), while it is live and its user active; null otherwise. Once the
   * current token rotates in turn, `previous_token_hash` moves on and the presented token
   * no longer matches: a replay after the successor was used is never answered here.
   */
  async findWithinGrace(
    em: EntityManager,
    input: { id: string; tenantId: string; presentedHash: string; rotatedAfter: Date; now: Date },
  ): Promise<GraceCandidate | null> {
    const rows = await em
      .getConnection()
      .execute<Array<RotationRow & { token_hash: string; sealed_successor: Buffer }>>(
        `select ${ROTATION_COLUMNS}, r."token_hash", r."sealed_successor"
           from "session" r
           join "app_user" u on u."id" = r."user_id" and u."tenant_id" = r."tenant_id" and u."status" = 'active'
           left join "device" d on d."id" = r."device_id"
          where r."id" = ? and r."tenant_id" = ? and r."previous_token_hash" = ? and r."rotated_at" > ?
            and r."sealed_successor" is not null and r."revoked_at" is null
            and r."expires_at" > ? and r."idle_expires_at" > ?`,
        [input.id, input.tenantId, input.presentedHash, input.rotatedAfter, input.now, input.now],
      );
    const row = rows[0];
    if (!row) return null;
    return { ...rotationOf(row), tokenHash: row.token_hash, sealedSuccessor: row.sealed_successor };
  }

  /**
   * Why a rotation did not happen, in one round trip: `reused` when `hash` was already
   * rotated away (a replay), `inactiveUser` when the token is current and the session live
   * but its user is not active (the session must be revoked).
   */
  async whyNotRotated(
    em: EntityManager,
    input: { id: string; tenantId: string; hash: string; now: Date },
  ): Promise<{ reused: boolean; inactiveUser: boolean }> {
    const [row] = await em.getConnection().execute<Array<{ reused: boolean; inactive_user: boolean }>>(
      `select exists (select 1 from "refresh_token" where "token_hash" = ? and "session_id" = ?) as "reused",
              exists (select 1 from "session" s
                       where s."id" = ? and s."tenant_id" = ? and s."token_hash" = ? and s."revoked_at" is null
                         and s."expires_at" > ? and s."idle_expires_at" > ?
                         and not exists (select 1 from "app_user" u where u."id" = s."user_id"
                                            and u."tenant_id" = s."tenant_id" and u."status" = 'active')
                     ) as "inactive_user"`,
      [input.hash, input.id, input.id, input.tenantId, input.hash, input.now, input.now],
    );
    return { reused: row?.reused === true, inactiveUser: row?.inactive_user === true };
  }

  /** A deleted account's purge: its sessions (revoked at deletion) and their refresh tokens go. */
  async eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    await em.execute(
      `delete from "refresh_token" where "session_id" in
         (select "id" from "session" where "tenant_id" = ? and "user_id" = ?)`,
      [tenantId, userId],
    );
    await em.execute(`delete from "session" where "tenant_id" = ? and "user_id" = ?`, [tenantId, userId]);
  }

  async revokeWhere(em: EntityManager, filter: SessionFilter, reason: string, now: Date): Promise<RevokedSession[]> {
    const conditions = ['"revoked_at" is null'];
    const params: unknown[] = [now, reason.slice(0, 64)];
    const add = (sql: string, value: unknown) => {
      conditions.push(sql);
      params.push(value);
    };
    if (filter.id !== undefined) add('"id" = ?', filter.id);
    if (filter.tenantId !== undefined) add('"tenant_id" = ?', filter.tenantId);
    if (filter.userId !== undefined) add('"user_id" = ?', filter.userId);
    if (filter.deviceId !== undefined) add('"device_id" = ?', filter.deviceId);
    if (filter.exceptId !== undefined && UUID_PATTERN.test(filter.exceptId)) add('"id" <> ?', filter.exceptId);
    const rows = await em.execute<RevokedRow[]>(
      `update "session" set "revoked_at" = ?, "revoke_reason" = ?, "sealed_successor" = null
        where ${conditions.join(' and ')}
       returning "id", "user_id", "device_id", "tenant_id"`,
      params,
    );
    return rows.map(revokedOf);
  }

  /**
   * Revokes the user's live sessions beyond the `keep` most recently used (last sign-in or
   * refresh), with their `session.revoked` events, in ONE statement. Run after a sign-in
   * committed, it sees every sign-in committed before it: when a burst is over, the last one
   * to run has seen them all.
   */
  async revokeLeastRecentlyUsed(
    em: EntityManager,
    input: {
      tenantId: string;
      userId: string;
      keep: number;
      reason: string;
      now: Date;
      audit: { ip: string | null; userAgent: string | null; requestId: string | null; origin: AuditOrigin };
    },
  ): Promise<RevokedSession[]> {
    const reason = input.reason.slice(0, 64);
    const rows = await em.execute<RevokedRow[]>(
      `with revoked as (
         update "session" set "revoked_at" = ?, "revoke_reason" = ?, "sealed_successor" = null
          where "revoked_at" is null and "id" in (
            select "id" from "session"
             where "tenant_id" = ? and "user_id" = ? and "revoked_at" is null
               and "expires_at" > ? and "idle_expires_at" > ?
             order by "last_seen_at" desc, "created_at" desc, "id" desc
            offset ?)
         returning "id", "user_id", "device_id", "tenant_id"
       ),
       -- the audit rows (audit's columns), written by the same statement so they commit with the revocations
       audited as (
         ${INSERT_AUDIT_EVENT}
         select gen_random_uuid(), r."tenant_id", 'session.revoked', 'success', r."user_id", r."user_id", r."id",
                r."device_id", ?, ?, ?, jsonb_build_object('reason', ?::text), ?, ?, ?, ? from revoked r
       )
       select * from revoked`,
      [
        input.now,
        reason,
        input.tenantId,
        input.userId,
        input.now,
        input.now,
        input.keep,
        input.audit.ip,
        input.audit.userAgent,
        input.audit.requestId,
        reason,
        new Date(),
        input.audit.origin.country,
        input.audit.origin.city,
        input.audit.origin.service,
      ],
    );
    return rows.map(revokedOf);
  }

  /** Live = not revoked, before both the absolute and the idle end. Newest first; `limit` bounds a listing. */
  findLive(em: EntityManager, tenantId: string, userId: string, now: Date, limit?: number): Promise<Session[]> {
    return em.find(
      Session,
      { tenantId, userId, revokedAt: null, expiresAt: { $gt: now }, idleExpiresAt: { $gt: now } },
      { orderBy: { createdAt: 'desc', id: 'asc' }, limit },
    );
  }

  /** How many live sessions each of the user's devices holds; devices without one are absent. */
  async countLiveByDevice(
    em: EntityManager,
    tenantId: string,
    userId: string,
    now: Date,
  ): Promise<Map<string, number>> {
    const rows = await em.execute<Array<{ device_id: string; count: string }>>(
      `select "device_id", count(*) as "count" from "session"
       where "tenant_id" = ? and "user_id" = ? and "device_id" is not null and "revoked_at" is null
         and "expires_at" > ? and "idle_expires_at" > ?
       group by "device_id"`,
      [tenantId, userId, now, now],
    );
    return new Map(rows.map((row) => [row.device_id, Number(row.count)]));
  }

  /** A raw primary-key read: this runs after every sign-in and refresh, the ORM adds nothing here. */
  async isRevoked(em: EntityManager, sessionId: string): Promise<boolean> {
    const [row] = await em
      .getConnection()
      .execute<Array<{ revoked: boolean }>>(
        `select "revoked_at" is not null as "revoked" from "session" where "id" = ?`,
        [sessionId],
      );
    return !row || row.revoked;
  }

  /** Whether the session may still be used (not revoked, before its absolute end): a raw primary-key read. */
  async isUsable(em: EntityManager, tenantId: string, sessionId: string): Promise<boolean> {
    const rows = await em.execute<unknown[]>(
      `select 1 from "session" where "id" = ? and "tenant_id" = ? and "revoked_at" is null and "expires_at" > now()`,
      [sessionId, tenantId],
    );
    return rows.length === 1;
  }

  /**
   * A recent proof of identity on a live session: its auth_time is `at` and its amr gains `amr`
   * when new. Answers the session's amr, or null when it is no longer live.
   */
  async setAuthTime(
    em: EntityManager,
    tenantId: string,
    sessionId: string,
    at: Date,
    amr: string,
  ): Promise<string[] | null> {
    const rows = await em.getConnection().execute<Array<{ amr: string[] }>>(
      `update "session" set "auth_time" = ?,
              "amr" = case when ? = any("amr") then "amr" else array_append("amr", ?) end
        where "id" = ? and "tenant_id" = ? and "revoked_at" is null
          and "expires_at" > ? and "idle_expires_at" > ? returning "amr"`,
      [at, amr, amr, sessionId, tenantId, at, at],
    );
    return rows.length === 1 ? rows[0].amr : null;
  }
}
