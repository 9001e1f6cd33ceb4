import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService, type AuditInput } from '../audit/audit.service';
import type { ClientType, DeviceInputDto } from '../sessions/dto/auth-result.dto';
import { LiveSessionPublisher } from '../sessions/live-session-publisher.service';
import { User } from '../users/user.entity';
import type { MfaChallengeDto } from './dto/mfa-challenge.dto';
import type { MfaStatusDto, PasskeyViewDto } from './dto/mfa-status.dto';
import { Passkey } from './entities/passkey.entity';
import { RecoveryCode } from './entities/recovery-code.entity';
import { UserMfa } from './entities/user-mfa.entity';
import { MfaAttemptsService } from './mfa-attempts.service';
import { MfaTokenStore, type PendingMfa } from './mfa-token.store';
import type { ChallengeReason, MfaMethod } from './mfa.types';
import { PasskeysService } from './passkeys.service';
import { RecoveryCodesService } from './recovery-codes.service';
import { TotpService, type TotpSetup } from './totp.service';

export interface StartChallengeOptions {
  /** What the first factor was, e.g. ['pwd'] or ['otp']; the session gets these plus the second factor's. */
  primaryAmr: string[];
  /**
   * Second factors that would prove again what the first factor proved: after a sign-in by
   * email code, the email factor is the same mailbox, not a second factor.
   */
  excludedMethods?: MfaMethod[];
  /**
   * Why this sign-in needs a second factor though the user may have none (a new place under the
   * tenant's `step_up` policy): such a user is asked for a code to their verified email.
   */
  reason?: ChallengeReason | null;
  ctx: RequestContext;
  client?: ClientType;
  device?: DeviceInputDto;
}

type FactorChange = (em: EntityManager) => Promise<Omit<AuditInput, 'tenantId' | 'outcome'>[]>;

/**
 * Factor management and the start of the login challenge. Every change of a user's factors
 * runs in one transaction that locks the user row, so `app_user.is_mfa_enabled` always equals
 * "has a confirmed TOTP, an enabled email factor or a passkey", whatever runs concurrently.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly totp: TotpService,
    private readonly passkeys: PasskeysService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly tokens: MfaTokenStore,
    private readonly liveSessions: LiveSessionPublisher,
    private readonly attempts: MfaAttemptsService,
  ) {}

  /** A deleted account's purge: its TOTP secret, email factor, passkeys and recovery codes. */
  async eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    await em.nativeDelete(UserMfa, { tenantId, userId });
    await em.nativeDelete(Passkey, { tenantId, userId });
    await em.nativeDelete(RecoveryCode, { tenantId, userId });
  }

  async status(auth: AuthPrincipal): Promise<MfaStatusDto> {
    const [row, passkeys, remaining] = await Promise.all([
      this.em.findOne(UserMfa, { userId: auth.userId }),
      this.passkeys.listOf(auth.userId),
      this.recoveryCodes.remaining(auth.userId),
    ]);
    return {
      totp: { enabled: Boolean(row?.totpConfirmedAt) },
      email: { enabled: Boolean(row?.emailEnabledAt) },
      passkeys: passkeys.map(toPasskeyView),
      recoveryCodes: { remaining },
    };
  }

  async setupTotp(auth: AuthPrincipal): Promise<TotpSetup> {
    return this.totp.setup(await this.userOf(auth));
  }

  async confirmTotp(auth: AuthPrincipal, code: string, ctx: RequestContext): Promise<{ recoveryCodes?: string[] }> {
    const user = await this.userOf(auth);
    await this.checkTotp(user, code, false, 'confirm', ctx);
    return this.changeFactors(user, ctx, true, async (em) => {
      // A setup racing in between resets totp_last_step: then this code confirmed nothing.
      const confirmed = await em.nativeUpdate(
        UserMfa,
        { userId: user.id, totpConfirmedAt: null, totpSecret: { $ne: null }, totpLastStep: { $ne: null } },
        { totpConfirmedAt: new Date() },
      );
      if (!confirmed) throw new AppException('MFA_INVALID');
      return [{ type: 'mfa.enabled', data: { method: 'totp' } }];
    });
  }

  async disableTotp(auth: AuthPrincipal, code: string, ctx: RequestContext): Promise<void> {
    const user = await this.userOf(auth);
    if (!(await this.totp.isEnabled(user.id))) throw new AppException('NOT_FOUND');
    await this.checkTotp(user, code, true, 'disable', ctx);
    await this.changeFactors(user, ctx, false, async (em) => {
      await em.nativeUpdate(
        UserMfa,
        { userId: user.id },
        { totpSecret: null, totpConfirmedAt: null, totpLastStep: null },
      );
      return [{ type: 'mfa.disabled', data: { method: 'totp' } }];
    });
  }

  /**
   * Management codes count against the same per-account budget as login challenges: a stolen
   * session cannot grind through codes to switch TOTP off.
   */
  private async checkTotp(
    user: User,
    code: string,
    confirmed: boolean,
    purpose: 'confirm' | 'disable',
    ctx: RequestContext,
  ): Promise<void> {
    const accepted = await this.attempts.guess(
      { user, method: 'totp', purpose, ctx },
      async () => (await this.totp.acceptCode(user.id, code, confirmed)) || null,
    );
    if (!accepted) throw new AppException('MFA_INVALID');
  }

  /** The email factor needs a verified email: codes go to an address the user proved they read. */
  async enableEmail(auth: AuthPrincipal, ctx: RequestContext): Promise<{ recoveryCodes?: string[] }> {
    const user = await this.userOf(auth);
    if (!user.email || !user.emailVerifiedAt) throw new AppException('EMAIL_NOT_VERIFIED');
    return this.changeFactors(user, ctx, true, async (em) => {
      const row = await em.findOne(UserMfa, { userId: user.id });
      if (row?.emailEnabledAt) return [];
      await em.upsert(
        UserMfa,
        { userId: user.id, tenantId: user.tenantId, emailEnabledAt: new Date() },
        { onConflictFields: ['userId'], onConflictAction: 'merge', onConflictMergeFields: ['emailEnabledAt'] },
      );
      return [{ type: 'mfa.enabled', data: { method: 'email' } }];
    });
  }

  async disableEmail(auth: AuthPrincipal, ctx: RequestContext): Promise<void> {
    const user = await this.userOf(auth);
    await this.changeFactors(user, ctx, false, async (em) => {
      const changed = await em.nativeUpdate(
        UserMfa,
        { userId: user.id, emailEnabledAt: { $ne: null } },
        { emailEnabledAt: null },
      );
      return changed ? [{ type: 'mfa.disabled', data: { method: 'email' } }] : [];
    });
  }

  async passkeyRegistrationOptions(auth: AuthPrincipal) {
    return this.passkeys.registrationOptions(await this.userOf(auth));
  }

  async registerPasskey(
    auth: AuthPrincipal,
    name: string,
    response: RegistrationResponseJSON,
    ctx: RequestContext,
  ): Promise<PasskeyViewDto & { recoveryCodes?: string[] }> {
    const user = await this.userOf(auth);
    const passkey = await this.passkeys.verifyRegistration(user, name, response);
    if (!passkey) {
      throw new AppException('VALIDATION_FAILED', [{ field: 'response', message: 'could not be verified' }]);
    }
    const { recoveryCodes } = await this.changeFactors(user, ctx, true, async (em) => {
      await this.passkeys.insert(passkey, em);
      return [{ type: 'passkey.registered', data: { passkeyId: passkey.id, name } }];
    });
    return {
      id: passkey.id,
      name: passkey.name,
      createdAt: passkey.createdAt.toISOString(),
      lastUsedAt: null,
      ...(recoveryCodes ? { recoveryCodes } : {}),
    };
  }

  async listPasskeys(auth: AuthPrincipal): Promise<PasskeyViewDto[]> {
    return (await this.passkeys.listOf(auth.userId)).map(toPasskeyView);
  }

  async renamePasskey(auth: AuthPrincipal, id: string, name: string): Promise<PasskeyViewDto> {
    const passkey = await this.passkeys.findOwned(auth.userId, id);
    passkey.name = name;
    await this.em.flush();
    return toPasskeyView(passkey);
  }

  async removePasskey(auth: AuthPrincipal, id: string, ctx: RequestContext): Promise<void> {
    const user = await this.userOf(auth);
    const passkey = await this.passkeys.findOwned(user.id, id);
    await this.changeFactors(user, ctx, false, async (em) => {
      const removed = await em.nativeDelete(Passkey, { id: passkey.id, userId: user.id });
      if (!removed) throw new AppException('NOT_FOUND');
      return [{ type: 'passkey.removed', data: { passkeyId: passkey.id } }];
    });
  }

  /** Only while MFA is on: recovery codes without a factor would be a way around nothing. */
  async regenerateRecoveryCodes(auth: AuthPrincipal, ctx: RequestContext): Promise<string[]> {
    const user = await this.userOf(auth);
    return this.em.transactional(async (em) => {
      await this.lockUser(em, user.id);
      if (!(await this.hasFactor(user.id, em))) throw new AppException('NOT_FOUND');
      const codes = await this.recoveryCodes.regenerate(user, em);
      await this.audit.record(
        {
          type: 'recovery_codes.generated',
          outcome: 'success',
          tenantId: user.tenantId,
          subjectId: user.id,
          data: { count: codes.length },
        },
        ctx,
        em,
      );
      return codes;
    });
  }

  /** The user's enabled second factors, as a login challenge offers them. */
  async methodsOf(user: User): Promise<MfaMethod[]> {
    const [row, passkeys, remaining] = await Promise.all([
      this.em.findOne(UserMfa, { userId: user.id }, { refresh: true }),
      this.passkeys.countOf(user.id),
      this.recoveryCodes.remaining(user.id),
    ]);
    const methods: MfaMethod[] = [];
    if (row?.totpConfirmedAt) methods.push('totp');
    if (row?.emailEnabledAt && user.email && user.emailVerifiedAt) methods.push('email');
    if (passkeys > 0) methods.push('passkey');
    if (remaining > 0) methods.push('recovery_code');
    return methods;
  }

  /**
   * The methods a login challenge offers: the user's, less those the first factor rules out,
   * plus those the challenge added for its reason (an emailed code for a user without a factor).
   */
  async methodsFor(
    user: User,
    pending: Pick<PendingMfa, 'excludedMethods' | 'adHocMethods'> = {},
  ): Promise<MfaMethod[]> {
    const excluded = pending.excludedMethods ?? [];
    const own = (await this.methodsOf(user)).filter((method) => !excluded.includes(method));
    return [...new Set([...own, ...(pending.adHocMethods ?? [])])];
  }

  /**
   * After a successful first factor: null when the user has no second factor (sign in now),
   * else a challenge whose opaque token (stored hashed, 5 min, single use) finishes the login.
   * A tenant with `mfaRequired` does not lock out users who have no factor yet: they are
   * signed in at aal 1 and clients see `mfaEnabled: false` to drive enrolment.
   *
   * A user with a factor never gets a session from the first factor alone, even when the
   * first factor rules theirs out (an email-code sign-in of a user whose only factor is email):
   * the challenge then offers what is left, recovery codes or nothing at all, and the user
   * signs in with their password instead.
   *
   * With a `reason` (a new place under `step_up`), a user without a factor of their own is
   * asked for a code to their verified email, unless the first factor was that mailbox already
   * or there is none: then nothing independent can be asked and the sign-in goes on (its place
   * is then notified instead: SignInRisk).
   */
  async startChallengeIfEnabled(user: User, options: StartChallengeOptions): Promise<MfaChallengeDto | null> {
    const reason = options.reason ?? undefined;
    // The flag is kept in the same transaction as every factor change, so it is a safe fast path.
    if (!user.isMfaEnabled && !reason) return null;
    const enabled = user.isMfaEnabled ? await this.methodsOf(user) : [];
    const excludedMethods = options.excludedMethods ?? [];
    // Recovery codes stand in for a lost factor; they are no factor of their own.
    const hasFactor = enabled.some((method) => method !== 'recovery_code');
    const adHocMethods: MfaMethod[] = [];
    if (!hasFactor) {
      if (!reason || !user.email || !user.emailVerifiedAt || excludedMethods.includes('email')) return null;
      adHocMethods.push('email');
    }
    const mfaToken = await this.tokens.issue({
      userId: user.id,
      tenantId: user.tenantId,
      primaryAmr: options.primaryAmr,
      ...(excludedMethods.length > 0 ? { excludedMethods } : {}),
      ...(adHocMethods.length > 0 ? { adHocMethods } : {}),
      client: options.client,
      device: options.device,
    });
    const methods = [...new Set([...enabled.filter((method) => !excludedMethods.includes(method)), ...adHocMethods])];
    return { mfaRequired: true, mfaToken, methods, ...(reason ? { reason } : {}) };
  }

  private async userOf(auth: AuthPrincipal): Promise<User> {
    const user = await this.em.findOne(User, { id: auth.userId, tenantId: auth.tenantId });
    if (!user) throw new AppException('UNAUTHORIZED');
    return user;
  }

  private async lockUser(em: EntityManager, userId: string): Promise<void> {
    await em.execute('select 1 from "app_user" where "id" = ? for update', [userId]);
  }

  private async hasFactor(userId: string, em: EntityManager): Promise<boolean> {
    const [row] = await em.execute<{ has: boolean }[]>(
      `select (exists (select 1 from "user_mfa" m where m."user_id" = ? and (m."totp_confirmed_at" is not null or m."email_enabled_at" is not null))
        or exists (select 1 from "passkey" p where p."user_id" = ?)) as "has"`,
      [userId, userId],
    );
    return row.has;
  }

  /**
   * Runs one factor change with its audit events in a transaction, then re-derives the MFA
   * flag. The first factor enrolled issues recovery codes (returned once); the last factor
   * removed withdraws them.
   */
  private async changeFactors(
    user: User,
    ctx: RequestContext,
    enrolling: boolean,
    change: FactorChange,
  ): Promise<{ recoveryCodes?: string[] }> {
    const result = await this.em.transactional(async (em) => {
      await this.lockUser(em, user.id);
      const events = await change(em);
      for (const event of events) {
        await this.audit.record({ ...event, outcome: 'success', tenantId: user.tenantId, subjectId: user.id }, ctx, em);
      }
      const enabled = await this.hasFactor(user.id, em);
      await em.nativeUpdate(User, { id: user.id }, { isMfaEnabled: enabled });
      let recoveryCodes: string[] | undefined;
      if (!enabled) {
        await this.recoveryCodes.removeAll(user.id, em);
      } else if (enrolling && !(await this.recoveryCodes.hasAny(user.id, em))) {
        recoveryCodes = await this.recoveryCodes.regenerate(user, em);
        await this.audit.record(
          {
            type: 'recovery_codes.generated',
            outcome: 'success',
            tenantId: user.tenantId,
            subjectId: user.id,
            data: { count: recoveryCodes.length },
          },
          ctx,
          em,
        );
      }
      return { enabled, recoveryCodes };
    });
    user.isMfaEnabled = result.enabled;
    // GET /me caches the user view; mfaEnabled must show the change at once.
    await this.liveSessions.forgetUserSnapshot(user.id);
    return result.recoveryCodes ? { recoveryCodes: result.recoveryCodes } : {};
  }
}

export function toPasskeyView(passkey: Passkey): PasskeyViewDto {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
  };
}
