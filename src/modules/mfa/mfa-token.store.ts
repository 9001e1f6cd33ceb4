import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { CryptoService } from '../../common/crypto';
import { REDIS } from '../../common/redis/redis.constants';
import type { ClientType, DeviceInputDto } from '../sessions/dto/auth-result.dto';
import type { MfaMethod } from './mfa.types';

/** API.md: the mfaToken lives 5 minutes. */
export const MFA_TOKEN_TTL_SECONDS = 300;
/** Guesses at the second factor on one token; the last wrong one burns it (the account's budget applies on top). */
export const MFA_TOKEN_MAX_FAILURES = 5;

/** What the first factor established, carried to the second. */
export interface PendingMfa {
  userId: string;
  tenantId: string;
  primaryAmr: string[];
  /** Second factors this sign-in may not use, because the first factor already proved the same thing. */
  excludedMethods?: MfaMethod[];
  /** Methods offered though not among the user's factors: an emailed code for a new-place step-up. */
  adHocMethods?: MfaMethod[];
  client?: ClientType;
  device?: DeviceInputDto;
}

// Takes a guess only on a live token (HINCRBY would otherwise recreate it without a TTL), and
// only while guesses are left: concurrent guesses on one token cannot all see room left.
const RESERVE_ATTEMPT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts > tonumber(ARGV[1]) then return 0 end
return attempts
`;

// Burns the token on its last allowed wrong guess, counting wrong guesses only: a right guess
// still in flight beside four wrong ones must find its token alive.
const FAIL_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
return failures
`;

/**
 * The login's half-way state in Redis, keyed by the token's SHA-256: a Redis dump yields no
 * usable token. Shared by every process, so any instance can finish a challenge.
 */
@Injectable()
export class MfaTokenStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly crypto: CryptoService,
  ) {}

  async issue(pending: PendingMfa): Promise<string> {
    const token = this.crypto.randomToken(32);
    await this.redis
      .multi()
      .hset(this.key(token), { data: JSON.stringify(pending), attempts: 0, failures: 0 })
      .expire(this.key(token), MFA_TOKEN_TTL_SECONDS)
      .exec();
    return token;
  }

  /** The pending login for a token of this tenant, or null (unknown, expired, used, burned, other tenant). */
  async find(token: string, tenantId: string): Promise<PendingMfa | null> {
    if (!this.isWellFormed(token)) return null;
    const raw = await this.redis.hget(this.key(token), 'data');
    if (!raw) return null;
    const pending = JSON.parse(raw) as PendingMfa;
    return pending.tenantId === tenantId ? pending : null;
  }

  /** Single use: true for exactly one caller, however many verify the same token at once. */
  async consume(token: string): Promise<boolean> {
    return (await this.redis.del(this.key(token))) === 1;
  }

  /**
   * Takes one of the token's MFA_TOKEN_MAX_FAILURES guesses before the factor is checked; false
   * when the token is gone or has none left.
   */
  async reserveAttempt(token: string): Promise<boolean> {
    return (await this.redis.eval(RESERVE_ATTEMPT_SCRIPT, 1, this.key(token), MFA_TOKEN_MAX_FAILURES)) !== 0;
  }

  /** After a wrong guess: the last one allowed burns the token, so it cannot even mail another code. */
  async recordFailure(token: string): Promise<void> {
    await this.redis.eval(FAIL_SCRIPT, 1, this.key(token), MFA_TOKEN_MAX_FAILURES);
  }

  /** A key derived from the token for data that lives and dies with it (the passkey challenge). */
  challengeKeyOf(token: string): string {
    return `webauthn:mfa:${this.crypto.sha256(token)}`;
  }

  isWellFormed(token: string): boolean {
    return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);
  }

  private key(token: string): string {
    return `mfa-token:${this.crypto.sha256(token)}`;
  }
}
