import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { GeoipService } from '../../common/geoip/geoip.service';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { DevicesService } from '../devices/devices.service';
import type { DeviceInputDto } from '../devices/dto/device.dto';
import type { ChallengeReason } from '../mfa/mfa.types';
import type { NewPlacePolicy } from '../tenants/tenant.entity';
import { TenantsService } from '../tenants/tenants.service';
import type { User } from '../users/user.entity';
import { impossibleTravel, isNewPlace } from './place-judgement';
import { SignInPlaces } from './sign-in-places.service';

/** A second factor asked of a sign-in for where it comes from. */
export interface StepUp {
  reason: ChallengeReason;
  countryCode: string;
  city: string | null;
}

/** A sign-in as the risk signal sees it. */
export interface JudgedSignIn {
  user: User;
  /** The session's amr: a password (`pwd`) or a code (`otp`) first factor is what the policy judges. */
  amr: readonly string[];
  device?: DeviceInputDto;
  ctx: RequestContext;
}

/**
 * Passkeys are bound to their origin and device: phishing-resistant, so the new-place policy
 * judges only what can be stolen and replayed from anywhere, a password or a code.
 */
const JUDGED_FIRST_FACTORS = ['pwd', 'otp'];

/**
 * Where a sign-in comes from, as a risk signal (API.md "Where a sign-in comes from"): a
 * password or code sign-in from a country the user has not signed in from in 90 days, not on
 * a trusted device, is a new place and gets the tenant's `newPlacePolicy`; any sign-in farther
 * from the previous one than 1,000 km/h allows is audited as impossible travel. Without a
 * GeoIP database (or for an address it does not know) nothing is judged.
 */
@Injectable()
export class SignInRisk {
  private readonly logger = new Logger(SignInRisk.name);

  constructor(
    private readonly em: EntityManager,
    private readonly geoip: GeoipService,
    private readonly tenants: TenantsService,
    private readonly places: SignInPlaces,
    private readonly devices: DevicesService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Before the session: whether the tenant asks a second factor of this sign-in because it comes
   * from a new place (`step_up`). Audited by stepUpAsked once the challenge is really asked.
   */
  async stepUpFor(signIn: JudgedSignIn): Promise<StepUp | null> {
    const { user, ctx } = signIn;
    const place = this.judged(signIn) ? this.geoip.lookup(ctx.ip) : null;
    if (!place || (await this.policyOf(user)) !== 'step_up') return null;
    const known = await this.places.of(user.tenantId, user.id);
    if (!isNewPlace(known, place.countryCode, this.clock.now())) return null;
    if (await this.devices.isTrusted(user, signIn.device, ctx)) return null;
    return { reason: 'new_place', countryCode: place.countryCode, city: place.city };
  }

  /** The step-up's challenge was asked: audited `login.new_place` (the notice is the challenge itself). */
  async stepUpAsked(user: User, stepUp: StepUp, ctx: RequestContext): Promise<void> {
    await this.audit.record(
      {
        type: 'login.new_place',
        outcome: 'success',
        tenantId: user.tenantId,
        subjectId: user.id,
        data: { countryCode: stepUp.countryCode, city: stepUp.city, policy: 'step_up', action: 'second_factor' },
      },
      ctx,
    );
  }

  /**
   * After the session started: remembers the place, audits impossible travel, and for a new
   * place under `notify` audits `login.new_place` (NewPlaceNoticeListener emails the notice).
   * Under `step_up` a sign-in that could not be asked for a second factor (the user has none, and
   * no verified address besides the mailbox a code just proved) is notified instead. Never fails the sign-in: it already happened.
   */
  async afterSignIn(signIn: JudgedSignIn & { aal: 1 | 2; sessionId: string }): Promise<void> {
    const { user, ctx } = signIn;
    const place = this.geoip.lookup(ctx.ip);
    if (!place) return;
    try {
      const now = this.clock.now();
      const policy = this.judged(signIn) ? await this.policyOf(user) : 'off';
      await this.em.fork().transactional(async (em) => {
        const known = await this.places.record(user.tenantId, user.id, place, now, em);
        const event = { tenantId: user.tenantId, subjectId: user.id, sessionId: signIn.sessionId } as const;
        const travel = impossibleTravel(known[0], place, now);
        if (travel) {
          await this.audit.record(
            { ...event, type: 'login.impossible_travel', outcome: 'success', data: { ...travel } },
            ctx,
            em,
          );
        }
        const notify = policy === 'notify' || (policy === 'step_up' && signIn.aal === 1);
        if (!notify || !isNewPlace(known, place.countryCode, now)) return;
        if (await this.devices.isTrusted(user, signIn.device, ctx, em)) return;
        await this.audit.record(
          {
            ...event,
            type: 'login.new_place',
            outcome: 'success',
            data: { countryCode: place.countryCode, city: place.city, policy, action: 'notice' },
          },
          ctx,
          em,
        );
      });
    } catch (error) {
      this.logger.warn({
        msg: 'sign-in place not recorded',
        requestId: ctx.requestId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private judged(signIn: JudgedSignIn): boolean {
    return signIn.amr.some((amr) => JUDGED_FIRST_FACTORS.includes(amr));
  }

  private async policyOf(user: User): Promise<NewPlacePolicy> {
    return (await this.tenants.settingsOf(user.tenantId)).newPlacePolicy ?? 'notify';
  }
}
