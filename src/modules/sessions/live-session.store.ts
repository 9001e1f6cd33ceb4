import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../../common/redis/redis.constants';
import type { Role } from '../users/user.entity';
import type { UserViewDto } from '../users/dto/user-view.dto';

/** What every authenticated request reads: one Redis round trip per request, no PostgreSQL. */
export interface LiveSession {
  sessionId: string;
  userId: string;
  tenantId: string;
  roles: Role[];
  amr: string[];
  aal: 1 | 2;
  /** Unix seconds. */
  authTime: number;
  deviceId: string | null;
  device: { id: string; name: string; platform: string | null } | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  idleExpiresAt: string;
}

// A session's record and its tombstone share a hash tag (one cluster slot): the publish script
// reads one and writes the other. The user view is apart, and read beside the record, not in
// one MGET, so that every key works on a Redis Cluster.
export const sessionKey = (sessionId: string) => `sess:{${sessionId}}`;
const userViewKey = (userId: string) => `uview:${userId}`;
/** Written by every revocation just before it deletes the live record (see publish). */
const tombstoneKey = (sessionId: string) => `srev:{${sessionId}}`;
const TOMBSTONE_TTL_MS = 60_000;
/**
 * A publish that took longer than this (from before its PostgreSQL write to Redis's answer)
 * cannot rely on a tombstone still being there: the caller re-reads the row instead. Half
 * the tombstone's life leaves room for clocks that run at slightly different rates.
 */
const TOMBSTONE_PROOF_MS = TOMBSTONE_TTL_MS / 2;

/**
 * SET the live record unless the session has a tombstone. Atomic in Redis: a revocation's
 * tombstone + DEL (in that order) either comes before (refused here) or after (it deletes).
 */
const PUBLISH_UNLESS_REVOKED = `
if redis.call('exists', KEYS[2]) == 1 then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/**
 * Replaces a live record only if it still holds what the caller read, keeping its TTL: a
 * record rewritten meanwhile (a refresh, another role change) or revoked is never clobbered
 * with a stale copy, nor resurrected.
 */
const REPLACE_IF_UNCHANGED = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`;

/** Rounds of read + compare-and-set before a role change gives up on a record that keeps changing. */
const MAX_AMEND_ROUNDS = 16;

/** published: written and proven not revoked; revoked: a revocation won; unsure: too slow to tell. */
export type PublishOutcome = 'published' | 'revoked' | 'unsure';

/** The commands defineCommand adds. */
interface RedisWithScripts {
  publishLiveSession(sessionKey: string, tombstoneKey: string, value: string, ttlMs: number): Promise<number>;
  replaceLiveSession(sessionKey: string, expected: string, value: string): Promise<number>;
}
/** The user snapshot behind GET /me; owners of user data call forgetUserSnapshot on change. */
const USER_VIEW_TTL_SECONDS = 300;

/**
 * The live-session index. The key exists exactly while the session may be used: its TTL is
 * the nearer of the idle and absolute ends, and revocation deletes it, so every process
 * sees a revocation on its very next request.
 */
@Injectable()
export class LiveSessionStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {
    // defineCommand: EVALSHA with the script cached by Redis; keys get the client's keyPrefix.
    redis.defineCommand('publishLiveSession', { numberOfKeys: 2, lua: PUBLISH_UNLESS_REVOKED });
    redis.defineCommand('replaceLiveSession', { numberOfKeys: 1, lua: REPLACE_IF_UNCHANGED });
  }

  /**
   * Writes the live record (unless a revocation's tombstone says the session just died) and
   * the user view, sent together (auto-pipelining): a sign-in or a refresh costs one Redis
   * round trip, and no PostgreSQL re-read when the tombstone proves the answer.
   * `sinceMonoMs`: performance.now() taken before the PostgreSQL write that made this session current.
   */
  async publish(
    session: LiveSession,
    view: UserViewDto | null,
    nowMs: number,
    sinceMonoMs: number,
  ): Promise<PublishOutcome> {
    const end = Math.min(Date.parse(session.idleExpiresAt), Date.parse(session.expiresAt));
    const ttlMs = end - nowMs;
    const redis = this.redis as unknown as RedisWithScripts;
    const [written] = await Promise.all([
      ttlMs <= 0
        ? this.redis.del(sessionKey(session.sessionId))
        : redis.publishLiveSession(
            sessionKey(session.sessionId),
            tombstoneKey(session.sessionId),
            JSON.stringify(session),
            ttlMs,
          ),
      view && this.redis.set(userViewKey(view.id), JSON.stringify(view), 'EX', USER_VIEW_TTL_SECONDS),
    ]);
    if (ttlMs <= 0) return 'published';
    if (written === 0) return 'revoked';
    return performance.now() - sinceMonoMs < TOMBSTONE_PROOF_MS ? 'published' : 'unsure';
  }

  async get(sessionId: string): Promise<LiveSession | null> {
    const raw = await this.redis.get(sessionKey(sessionId));
    return raw ? (JSON.parse(raw) as LiveSession) : null;
  }

  /**
   * The live record and the raw cached user view in ONE round trip (two GETs sent together):
   * the token's `sub` is known before the session is read, and GET /me needs both. The view
   * stays a string until someone needs it, so other routes do not pay for parsing it.
   */
  async getWithUserView(sessionId: string, userId: string): Promise<[LiveSession | null, string | null]> {
    const [rawSession, rawView] = await Promise.all([
      this.redis.get(sessionKey(sessionId)),
      this.redis.get(userViewKey(userId)),
    ]);
    return [rawSession ? (JSON.parse(rawSession) as LiveSession) : null, rawView ?? null];
  }

  /**
   * Ends live records after their revocation committed. Each tombstone goes first, on the
   * same connection as its DEL (same slot, so same node on a cluster): a publish that raced
   * the revocation is refused instead of resurrecting the record after this DEL.
   */
  async remove(sessionIds: string[]): Promise<void> {
    await Promise.all(
      sessionIds.flatMap((sessionId) => [
        this.redis.set(tombstoneKey(sessionId), '1', 'PX', TOMBSTONE_TTL_MS),
        this.redis.del(sessionKey(sessionId)),
      ]),
    );
  }

  /**
   * Rewrites the roles of live records in place, keeping their TTL (a demotion applies at
   * once). Each record is read and replaced with a compare-and-set, so a write that lands in
   * between (a refresh's publish, a concurrent role change) is read again, never overwritten.
   */
  updateRoles(sessionIds: string[], roles: Role[]): Promise<void> {
    return this.amend(sessionIds, { roles });
  }

  /** A new auth_time and amr on a live record (re-authentication), with updateRoles' compare-and-set. */
  updateAuthTime(sessionId: string, authTime: number, amr: string[]): Promise<void> {
    return this.amend([sessionId], { authTime, amr });
  }

  private async amend(
    sessionIds: string[],
    patch: Partial<Pick<LiveSession, 'roles' | 'authTime' | 'amr'>>,
  ): Promise<void> {
    const redis = this.redis as unknown as RedisWithScripts;
    for (const sessionId of sessionIds) {
      for (let round = 1; ; round++) {
        const current = await this.redis.get(sessionKey(sessionId));
        if (!current) break;
        const next = JSON.stringify({ ...(JSON.parse(current) as LiveSession), ...patch });
        if ((await redis.replaceLiveSession(sessionKey(sessionId), current, next)) === 1) break;
        if (round === MAX_AMEND_ROUNDS) throw new Error(`live session ${sessionId} kept changing`);
      }
    }
  }

  async userView(userId: string): Promise<UserViewDto | null> {
    const raw = await this.redis.get(userViewKey(userId));
    return raw ? (JSON.parse(raw) as UserViewDto) : null;
  }

  async putUserView(view: UserViewDto): Promise<void> {
    await this.redis.set(userViewKey(view.id), JSON.stringify(view), 'EX', USER_VIEW_TTL_SECONDS);
  }

  async forgetUserView(userId: string): Promise<void> {
    await this.redis.del(userViewKey(userId));
  }
}
