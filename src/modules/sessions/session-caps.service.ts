import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../../common/http/request-context';
import { sessionsConfig } from '../../config/sessions.config';
import { DevicesService } from '../devices/devices.service';
import type { User } from '../users/user.entity';
import { type RevokedSession, SessionRepository } from './session.repository';
import { SessionRevoker } from './session-revoker.service';
import { sessionEvent } from './session-event';

const SESSION_LIMIT = 'session_limit';

/** MAX_DEVICES_PER_USER and MAX_SESSIONS_PER_USER, least recently used first. */
@Injectable()
export class SessionCaps {
  constructor(
    private readonly em: EntityManager,
    private readonly devices: DevicesService,
    private readonly revoker: SessionRevoker,
    private readonly repository: SessionRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    @Inject(sessionsConfig.KEY) private readonly settings: ConfigType<typeof sessionsConfig>,
  ) {}

  /**
   * Holds the user to the caps and ends the live records of what it revoked. Runs after the
   * sign-in committed rather than inside it: each run sees every sign-in committed before it,
   * so the last of a burst to finish sees them all and the burst ends within the caps. Runs for
   * one user take turns (a transaction-scoped advisory lock, held for two statements): run side
   * by side, they picked overlapping devices and sessions to end and locked them in different
   * orders, and PostgreSQL broke the deadlock by failing one of them (a CI run met it).
   */
  async enforce(user: User, hasNewDevice: boolean, ctx: RequestContext): Promise<void> {
    const { ofForgottenDevices, leastRecentlyUsed } = await this.em.fork().transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`session-caps:${user.tenantId}:${user.id}`]);
      const forgotten: RevokedSession[] = [];
      // Only a new device can take the user past the device cap: known ones skip this round trip.
      if (hasNewDevice) {
        for (const deviceId of await this.devices.forgetBeyondCap(user, ctx, em)) {
          const filter = { tenantId: user.tenantId, userId: user.id, deviceId };
          forgotten.push(...(await this.revoker.revokeIn(em, filter, 'device_limit', ctx)));
        }
      }
      const lru = await this.repository.revokeLeastRecentlyUsed(em, {
        tenantId: user.tenantId,
        userId: user.id,
        keep: this.settings.maxSessionsPerUser,
        reason: SESSION_LIMIT,
        now: this.clock.now(),
        audit: {
          ip: ctx.ip ?? null,
          userAgent: ctx.userAgent ?? null,
          requestId: ctx.requestId ?? null,
          origin: this.audit.originOf(ctx),
        },
      });
      // The statement wrote their session.revoked events; their listeners hear of them once this commits.
      for (const session of lru) {
        await this.audit.announce(sessionEvent('session.revoked', session, { reason: SESSION_LIMIT }), ctx, em);
      }
      return { ofForgottenDevices: forgotten, leastRecentlyUsed: lru };
    });
    await this.revoker.forgetLive([...ofForgottenDevices, ...leastRecentlyUsed].map((entry) => entry.id));
  }
}
