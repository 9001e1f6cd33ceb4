import { pickLanguage } from '../../common/i18n/languages';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { normalizeIp } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { CryptoService } from '../../common/crypto/crypto.service';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { REDIS } from '../../common/redis/redis.constants';
import { otpConfig } from '../../config/otp.config';
import { AuditService } from '../audit/audit.service';
import { type DeliveryChannel, maskDestination } from '../delivery/delivery-destination';
import { DeliveryService } from '../delivery/delivery.service';
import type { TextablePhone } from '../delivery/phone-destination.policy';
import { SmsBudget } from '../delivery/sms-budget';
import { SuppressionListService } from '../delivery/suppression-list.service';
import type { DurationSample } from './duration-sample';
import { renderOtpMessage } from './otp-message';
import { ISSUE_SCRIPT, VERIFY_SCRIPT, type OtpScript } from './otp.scripts';
import type { IssueOtpResult, OtpDestination, OtpPurpose } from './otp.types';

export const OTP_LENGTH = 6;

export interface IssueOtpInput {
  tenantId: string;
  purpose: OtpPurpose;
  destination: OtpDestination;
  userId?: string | null;
  ctx: RequestContext;
  ttlSeconds?: number;
  /** The locale of the account the code is for, when known: the message's language before Accept-Language. */
  userLocale?: string | null;
  /** A phone code's second channel: it sends the same code if the first refuses the number or is too slow. */
  fallbackChannel?: DeliveryChannel;
}

export interface VerifyOtpInput {
  tenantId: string;
  purpose: OtpPurpose;
  destination: OtpDestination;
  code: string;
  /** The client's address: its wrong codes also count against its own share of the destination's budget. */
  ip?: string;
}

/** IPv6 clients are grouped by /64, as the throttler does: one host usually owns the whole prefix. */
const IPV6_PREFIX = 64;

/**
 * One-time codes for every purpose. A code lives only as an HMAC (OTP_PEPPER) in Redis,
 * under a key per (tenant, purpose, destination); the plain code exists in memory until it
 * is encrypted into the delivery row. Sends are limited per destination (cooldown, hourly
 * cap); wrong tries per code (then the code is burned) and per destination across codes
 * (so resending does not buy a brute force more guesses). One client address may use only a
 * share of a destination's hourly sends and wrong tries, so that it cannot lock the owner out
 * alone. Phone sends also spend the deployment's SMS budgets.
 */
@Injectable()
export class OtpService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly crypto: CryptoService,
    private readonly delivery: DeliveryService,
    private readonly suppressions: SuppressionListService,
    private readonly audit: AuditService,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly smsBudget: SmsBudget,
  ) {}

  ttlFor(purpose: OtpPurpose): number {
    return purpose === 'mfa_email' ? this.config.mfaEmailTtl : this.config.ttl;
  }

  /**
   * Sends a new code (replacing any live one). 422 DESTINATION_UNDELIVERABLE when the
   * destination is suppressed or a phone number this service does not text, 429
   * OTP_RESEND_COOLDOWN / TOO_MANY_REQUESTS (Retry-After), the latter also when an SMS budget is spent.
   */
  async issue(input: IssueOtpInput): Promise<IssueOtpResult> {
    const { tenantId, purpose, ctx } = input;
    const ttl = input.ttlSeconds ?? this.ttlFor(purpose);
    const { destination, fallbackChannel, phone } = await this.deliverableRoute(input);
    // The budget first: a send it refuses must not replace the live code nor start a cooldown.
    if (phone) await this.smsBudget.spend(phone.callingCode);
    const code = this.crypto.randomDigits(OTP_LENGTH);
    const keys = this.keysOf(tenantId, purpose, destination, ctx.ip);
    try {
      await this.applySendLimits(keys, this.hashCode(tenantId, purpose, destination, code), ttl, input.userId ?? '');
    } catch (error) {
      await this.refund(phone);
      throw error;
    }
    const language = pickLanguage({ userLocale: input.userLocale, acceptLanguage: ctx.acceptLanguage });
    try {
      await this.delivery.enqueue({
        tenantId,
        userId: input.userId ?? null,
        destination,
        purpose,
        content: renderOtpMessage(purpose, destination.channel, code, ttl, language),
        // The same code, finished for the second channel: the code is keyed by the number, not the channel.
        ...(fallbackChannel
          ? {
              fallback: {
                channel: fallbackChannel,
                content: renderOtpMessage(purpose, fallbackChannel, code, ttl, language),
              },
            }
          : {}),
        ttlSeconds: ttl,
        // The otp.sent event is written with the message row: one round trip, one commit.
        audit: {
          type: 'otp.sent',
          ctx,
          data: { purpose, channel: destination.channel, destination: this.mask(destination) },
        },
      });
    } catch (error) {
      // Nothing was sent: do not leave a code nobody received, nor a cooldown for it.
      await this.redis.del(keys.code, keys.cooldown).catch(() => undefined);
      await this.refund(phone);
      throw error;
    }
    return this.answer(destination, fallbackChannel, ttl);
  }

  /**
   * The channel a code goes by, and the one that takes over: when the first is known not to
   * reach the number (suppressed after a bounce, e.g. not on WhatsApp), the second goes first.
   */
  private async deliverableRoute(input: Pick<IssueOtpInput, 'tenantId' | 'destination' | 'fallbackChannel'>) {
    const { tenantId, destination, fallbackChannel } = input;
    try {
      return { destination, fallbackChannel, phone: await this.suppressions.assertDeliverable(tenantId, destination) };
    } catch (error) {
      if (!fallbackChannel || !(error instanceof AppException) || error.code !== 'DESTINATION_UNDELIVERABLE')
        throw error;
      const instead = { channel: fallbackChannel, address: destination.address };
      return {
        destination: instead,
        fallbackChannel: undefined,
        phone: await this.suppressions.assertDeliverable(tenantId, instead),
      };
    }
  }

  private answer(
    destination: OtpDestination,
    fallbackChannel: DeliveryChannel | undefined,
    ttl: number,
  ): IssueOtpResult {
    return {
      channel: destination.channel,
      ...(fallbackChannel ? { fallbackChannel } : {}),
      expiresIn: ttl,
      resendAfter: this.config.resendCooldown,
    };
  }

  /**
   * For a destination that must not learn whether an account exists: the same limits, answer
   * and timing as `issue`, and a decoy in place of the code, with the same attempt accounting
   * (a wrong code answers OTP_INVALID, the 5th burns it, then OTP_EXPIRED), that nothing
   * matches and nobody receives. A phone send spends the SMS budget and gives it back, whatever
   * the outcome: a spent budget refuses it as it refuses a real send, a refusal costs the same
   * round trips, and nothing that was not sent stays counted. `imitate`: the recent durations of
   * the caller's real path (its account lookup included, which costs more for a found account)
   * and the moment this request's path began.
   */
  async issueWithoutSending(
    input: Omit<IssueOtpInput, 'userId'>,
    imitate: { like: DurationSample; startedAt: number },
  ): Promise<IssueOtpResult> {
    const { tenantId, purpose } = input;
    const ttl = input.ttlSeconds ?? this.ttlFor(purpose);
    const { destination, fallbackChannel, phone } = await this.deliverableRoute(input);
    if (phone) await this.smsBudget.spend(phone.callingCode);
    try {
      await this.applySendLimits(this.keysOf(tenantId, purpose, destination, input.ctx.ip), this.decoyHash(), ttl, '');
    } finally {
      await this.refund(phone);
    }
    await imitate.like.waitLikeFrom(imitate.startedAt);
    return this.answer(destination, fallbackChannel, ttl);
  }

  /**
   * Accepts the live code once. 401 OTP_INVALID (wrong code, a live code exists),
   * 401 OTP_EXPIRED (no live code), 429 TOO_MANY_REQUESTS (destination over its failure budget).
   */
  async verify(input: VerifyOtpInput): Promise<void> {
    await this.check(input);
  }

  /** `verify`, also answering the user id the code was issued for (null when issued without one). */
  async check(input: VerifyOtpInput): Promise<{ userId: string | null }> {
    const { tenantId, purpose, destination } = input;
    const keys = this.keysOf(tenantId, purpose, destination, input.ip);
    // Anything that is not 6 digits can never match: hash it anyway so timing says nothing.
    const candidate = this.hashCode(tenantId, purpose, destination, String(input.code));
    const [status, value] = (await this.runScript(
      VERIFY_SCRIPT,
      4,
      keys.code,
      keys.failures,
      keys.addressFailures,
      keys.cooldown,
      candidate,
      this.config.maxAttempts,
      this.config.maxFailuresPerHour,
      input.ip === undefined ? 0 : this.config.maxFailuresPerHourPerIp,
    )) as [number, string | number];
    const userId = typeof value === 'string' && value.length > 0 ? value : null;
    const data = { purpose, channel: destination.channel, destination: this.mask(destination) };
    if (status === 0) {
      await this.audit.record({ type: 'otp.verified', outcome: 'success', tenantId, subjectId: userId, data });
      return { userId };
    }
    const reason = status === 1 ? 'invalid' : status === 2 ? 'expired' : 'throttled';
    await this.audit.record({
      type: 'otp.failed',
      outcome: 'failure',
      tenantId,
      subjectId: userId,
      data: { ...data, reason },
    });
    if (status === 1) throw new AppException('OTP_INVALID');
    if (status === 2) throw new AppException('OTP_EXPIRED');
    throw AppException.tooManyRequests(Number(value));
  }

  private async applySendLimits(keys: OtpKeys, codeHash: string, ttl: number, userId: string): Promise<void> {
    const [status, retryAfter] = (await this.runScript(
      ISSUE_SCRIPT,
      4,
      keys.cooldown,
      keys.sends,
      keys.code,
      keys.addressSends,
      this.config.resendCooldown,
      this.config.maxPerHour,
      codeHash,
      ttl,
      userId,
      this.config.maxPerHourPerIp,
    )) as [number, number];
    if (status === 1) throw AppException.tooManyRequests(retryAfter, 'OTP_RESEND_COOLDOWN');
    if (status === 2) throw AppException.tooManyRequests(retryAfter);
  }

  /** EVALSHA (Redis keeps the compiled script), falling back to EVAL once after a SCRIPT FLUSH or restart. */
  private async runScript(script: OtpScript, numKeys: number, ...args: Array<string | number>): Promise<unknown> {
    try {
      return await this.redis.evalsha(script.sha, numKeys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(script.lua, numKeys, ...args);
    }
  }

  /**
   * As long as a code's HMAC (64 characters, so the comparison takes as long), but random
   * base64url: no candidate's hex HMAC can ever equal it.
   */
  private decoyHash(): string {
    return this.crypto.randomToken(48);
  }

  /** Bound to tenant, purpose and destination: a code for one never verifies another. */
  private hashCode(tenantId: string, purpose: OtpPurpose, destination: OtpDestination, code: string): string {
    return this.crypto.hmac(
      this.config.pepper,
      `otp:${tenantId}:${purpose}:${addressKind(destination)}:${destination.address}:${code}`,
    );
  }

  /** A send that was counted against the SMS budget but not made. */
  private async refund(phone: TextablePhone | null): Promise<void> {
    if (phone) await this.smsBudget.refund(phone.callingCode).catch(() => undefined);
  }

  /**
   * Key names carry keyed hashes of the destination and of the client address, never either
   * itself. No address (a caller that does not pass one) gets a key no one else counts on.
   */
  private keysOf(tenantId: string, purpose: OtpPurpose, destination: OtpDestination, ip?: string): OtpKeys {
    const id = this.crypto
      .hmac(this.config.pepper, `dest:${addressKind(destination)}:${destination.address}`)
      .slice(0, 32);
    // One hash tag per destination: the send and verify scripts touch all these keys at once.
    const base = `otp:{${tenantId}:${purpose}:${id}}`;
    const client =
      ip === undefined ? '-' : this.crypto.hmac(this.config.pepper, `ip:${normalizeIp(ip, IPV6_PREFIX)}`).slice(0, 16);
    return {
      code: `${base}:code`,
      cooldown: `${base}:cooldown`,
      sends: `${base}:sends`,
      failures: `${base}:failures`,
      addressSends: `${base}:ip:${client}:sends`,
      addressFailures: `${base}:ip:${client}:failures`,
    };
  }

  private mask(destination: OtpDestination): string {
    return maskDestination(destination.channel, destination.address);
  }
}

/**
 * SMS and WhatsApp reach the same phone number: one code, one cooldown and one set of
 * counters per number, whichever channel carried it.
 */
function addressKind(destination: OtpDestination): 'email' | 'phone' {
  return destination.channel === 'email' ? 'email' : 'phone';
}

interface OtpKeys {
  code: string;
  cooldown: string;
  sends: string;
  failures: string;
  /** This client address's share of `sends` and `failures`. */
  addressSends: string;
  addressFailures: string;
}
