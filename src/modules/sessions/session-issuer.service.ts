import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock/clock';
import type { RequestContext } from '../../common/http/request-context';
import { type AuditInput, AuditService } from '../audit/audit.service';
import { DevicesService } from '../devices/devices.service';
import type { User } from '../users/user.entity';
import type { AuthResultDto, ClientType, DeviceInputDto } from './dto/auth-result.dto';
import { LiveSessionPublisher } from './live-session-publisher.service';
import { Session } from './session.entity';
import type { SessionAnswer } from './session-cookies';
import { SessionAnswers } from './session-answers.service';
import { SessionCaps } from './session-caps.service';
import { SessionLifetimes } from './session-lifetimes.service';
import { newRefreshToken } from './session-token';

export interface StartSessionInput {
  user: User;
  amr: string[];
  aal: 1 | 2;
  client?: ClientType;
  device?: DeviceInputDto;
  ctx: RequestContext;
  /** The sign-in's own audit event (e.g. login.succeeded), committed with the session: both or neither. */
  signInEvent?: Omit<AuditInput, 'sessionId' | 'deviceId'>;
}

/**
 * Starts sessions: a durable row in PostgreSQL (refresh rotation, history) and a live record
 * in Redis (what each request checks). A new device's notice follows its device.new event
 * (NewSignInNoticeListener).
 */
@Injectable()
export class SessionIssuer {
  constructor(
    private readonly em: EntityManager,
    private readonly devices: DevicesService,
    private readonly audit: AuditService,
    private readonly caps: SessionCaps,
    private readonly lifetimes: SessionLifetimes,
    private readonly publisher: LiveSessionPublisher,
    private readonly answers: SessionAnswers,
    private readonly clock: Clock,
  ) {}

  /** After a successful sign-in: API.md's AuthResult and the cookies that carry it. */
  async start(input: StartSessionInput): Promise<SessionAnswer<AuthResultDto>> {
    const { user, ctx } = input;
    const lifetimes = await this.lifetimes.of(user.tenantId);
    const now = this.clock.now();
    const sessionId = randomUUID();
    const refresh = newRefreshToken(sessionId);
    const expiresAt = new Date(now.getTime() + lifetimes.refresh * 1000);
    const sinceMonoMs = performance.now();
    const { session, device, isNew } = await this.em.fork().transactional(async (em) => {
      const { device, isNew } = await this.devices.recordSignIn(user, input.device, ctx, em);
      const session = em.create(Session, {
        id: sessionId,
        tenantId: user.tenantId,
        userId: user.id,
        deviceId: device.id,
        tokenHash: refresh.hash,
        amr: input.amr,
        aal: input.aal,
        authTime: now,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        country: device.lastCountry,
        city: device.lastCity,
        service: ctx.clientName ?? null,
        createdAt: now,
        lastSeenAt: now,
        expiresAt,
        idleExpiresAt: new Date(Math.min(expiresAt.getTime(), now.getTime() + lifetimes.idle * 1000)),
      });
      await em.flush();
      await this.audit.record(
        {
          type: 'session.created',
          outcome: 'success',
          tenantId: user.tenantId,
          subjectId: user.id,
          sessionId,
          deviceId: device.id,
          data: { amr: input.amr, aal: input.aal, client: input.client ?? 'web' },
        },
        ctx,
        em,
      );
      if (input.signInEvent) await this.audit.record({ ...input.signInEvent, sessionId, deviceId: device.id }, ctx, em);
      return { session, device, isNew };
    });
    await this.caps.enforce(user, isNew, ctx);
    const view = await this.publisher.publish(session, user, this.devices.summaryOf(device), sinceMonoMs);
    return this.answers.authResult(session, user, view, input.client ?? 'web', refresh.token, lifetimes);
  }
}
