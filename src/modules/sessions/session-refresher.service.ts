import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock/clock';
import { AuditService } from '../audit/audit.service';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import type { AuthResultDto, ClientType } from './dto/auth-result.dto';
import { LiveSessionPublisher } from './live-session-publisher.service';
import { RefreshReuse } from './refresh-reuse.service';
import type { SessionAnswer } from './session-cookies';
import { type Rotation, SessionRepository } from './session.repository';
import { SessionAnswers } from './session-answers.service';
import { type Lifetimes, SessionLifetimes } from './session-lifetimes.service';
import { newRefreshToken, parseRefreshToken } from './session-token';
import { sessionEvent } from './session-event';

/**
 * Rotates a refresh token with one compare-and-swap statement (see SessionRepository.rotate).
 * A token that was already rotated goes to RefreshReuse: the grace window or a replay.
 */
@Injectable()
export class SessionRefresher {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: SessionRepository,
    private readonly lifetimes: SessionLifetimes,
    private readonly reuse: RefreshReuse,
    private readonly publisher: LiveSessionPublisher,
    private readonly answers: SessionAnswers,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async refresh(token: string, client: ClientType, ctx: RequestContext): Promise<SessionAnswer<AuthResultDto>> {
    const parsed = parseRefreshToken(token);
    if (!parsed) throw new AppException('REFRESH_TOKEN_INVALID');
    const presented = { token, ...parsed };
    const lifetimes = await this.lifetimes.of(ctx.tenantId);
    const now = this.clock.now();
    const next = newRefreshToken(parsed.sessionId);
    const sinceMonoMs = performance.now();
    // No fork: the rotation is one raw statement, nothing enters an identity map.
    const rotation = await this.repository.rotate(this.em, {
      id: parsed.sessionId,
      tenantId: ctx.tenantId,
      oldHash: parsed.hash,
      newHash: next.hash,
      sealedSuccessor: this.reuse.seal(presented, next.token),
      now,
      idleExpiresAt: new Date(now.getTime() + lifetimes.idle * 1000),
      audit: {
        id: randomUUID(),
        ip: ctx.ip ?? null,
        userAgent: ctx.userAgent ?? null,
        requestId: ctx.requestId ?? null,
        createdAt: new Date(),
        origin: this.audit.originOf(ctx),
      },
    });
    if (rotation) {
      // The rotation statement wrote the event; its listeners hear of it here.
      await this.audit.announce(sessionEvent('session.refreshed', rotation.session), ctx, this.em);
      return this.answer(rotation, next.token, client, lifetimes, sinceMonoMs);
    }
    const graced = await this.reuse.successorWithinGrace(presented, ctx, now);
    if (graced) return this.answer(graced.rotation, graced.successor, client, lifetimes, sinceMonoMs);
    return this.reuse.refuse(presented, ctx, now);
  }

  private async answer(
    { session, user, device }: Rotation,
    refreshToken: string,
    client: ClientType,
    lifetimes: Lifetimes,
    sinceMonoMs: number,
  ): Promise<SessionAnswer<AuthResultDto>> {
    const view = await this.publisher.publish(session, user, device, sinceMonoMs);
    return this.answers.authResult(session, user, view, client, refreshToken, lifetimes);
  }
}
