import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { timingSafeEqual } from 'node:crypto';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { authConfig } from '../../config/auth.config';
import { sessionsConfig } from '../../config/sessions.config';
import { AuditService } from '../audit/audit.service';
import { openSuccessor, sealSuccessor } from './refresh-successor';
import { RefreshToken, Session } from './session.entity';
import { type Rotation, SessionRepository } from './session.repository';
import { SessionRevoker } from './session-revoker.service';
import { hashRefreshToken } from './session-token';
import { sessionEvent } from './session-event';

export interface PresentedToken {
  token: string;
  sessionId: string;
  hash: string;
}

/**
 * A refresh token presented after it was rotated: within REFRESH_REUSE_GRACE_SECONDS, while
 * its successor is still current, it gets that same successor (two tabs refreshing at once);
 * otherwise it is a replay and the session ends (REFRESH_TOKEN_REUSED).
 */
@Injectable()
export class RefreshReuse {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: SessionRepository,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(sessionsConfig.KEY) private readonly settings: ConfigType<typeof sessionsConfig>,
  ) {}

  /** The successor sealed under the token it replaces; null = no grace window, nothing to keep. */
  seal(presented: PresentedToken, successor: string): Buffer | null {
    if (this.settings.refreshReuseGraceSeconds <= 0) return null;
    return sealSuccessor(this.auth.encryptionKey, presented.token, presented.sessionId, successor);
  }

  /**
   * The successor a racing replay gets within the grace window: the session's current
   * refresh token, unsealed with the presented token itself. Null when the window is over, the
   * successor was used (rotated in turn), the session is gone or the seal does not open
   * (ENCRYPTION_KEY changed): then `refuse` decides. Nothing rotates here, so every racer
   * holds the same live token afterwards.
   */
  async successorWithinGrace(
    presented: PresentedToken,
    ctx: RequestContext,
    now: Date,
  ): Promise<{ rotation: Rotation; successor: string } | null> {
    if (this.settings.refreshReuseGraceSeconds <= 0) return null;
    const candidate = await this.repository.findWithinGrace(this.em, {
      id: presented.sessionId,
      tenantId: ctx.tenantId,
      presentedHash: presented.hash,
      rotatedAfter: new Date(now.getTime() - this.settings.refreshReuseGraceSeconds * 1000),
      now,
    });
    if (!candidate) return null;
    const successor = openSuccessor(
      this.auth.encryptionKey,
      presented.token,
      presented.sessionId,
      candidate.sealedSuccessor,
    );
    if (!successor) return null;
    const isCurrent = timingSafeEqual(
      Buffer.from(hashRefreshToken(successor), 'hex'),
      Buffer.from(candidate.tokenHash, 'hex'),
    );
    if (!isCurrent) return null;
    const { session } = candidate;
    await this.audit.record(sessionEvent('session.refreshed', session, { reuseGrace: true }), ctx, this.em.fork());
    return { rotation: candidate, successor };
  }

  /** The rare path of a refresh that did not rotate: a replay, an inactive user, or just a bad token. */
  async refuse(presented: PresentedToken, ctx: RequestContext, now: Date): Promise<never> {
    const em = this.em.fork();
    const why = await this.repository.whyNotRotated(em, {
      id: presented.sessionId,
      tenantId: ctx.tenantId,
      hash: presented.hash,
      now,
    });
    if (why.reused) {
      await em.transactional(async (tx) => {
        await this.revoker.revokeIn(tx, { id: presented.sessionId }, 'refresh_token_reused', ctx);
        const owner = await tx.findOne(Session, { id: presented.sessionId });
        await this.audit.record(
          {
            type: 'refresh.reuse_detected',
            outcome: 'failure',
            tenantId: owner?.tenantId ?? ctx.tenantId,
            subjectId: owner?.userId ?? null,
            sessionId: presented.sessionId,
            deviceId: owner?.deviceId ?? null,
          },
          ctx,
          tx,
        );
      });
      await this.revoker.forgetLive([presented.sessionId]);
      throw new AppException('REFRESH_TOKEN_REUSED');
    }
    // A valid token of a user who is no longer active: the session ends here.
    if (why.inactiveUser) {
      const revoked = await em.transactional(async (tx) => {
        const filter = { id: presented.sessionId, tenantId: ctx.tenantId };
        const rows = await this.revoker.revokeIn(tx, filter, 'account_inactive', ctx);
        // As when the refresh rotated before revoking: presenting this token again is a replay.
        if (rows.length > 0) {
          await tx.insert(RefreshToken, { tokenHash: presented.hash, sessionId: presented.sessionId, rotatedAt: now });
        }
        return rows;
      });
      await this.revoker.forgetLive(revoked.map((session) => session.id));
    }
    throw new AppException('REFRESH_TOKEN_INVALID');
  }
}
