import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { appConfig } from '../../config/app.config';
import { authConfig } from '../../config/auth.config';
import { sessionsConfig } from '../../config/sessions.config';
import { type AuditInput, AuditService } from '../audit/audit.service';
import type { DeviceSummaryDto } from '../devices/dto/device.dto';
import { DevicesService } from '../devices/devices.service';
import { TenantsService } from '../tenants/tenants.service';
import type { UserViewDto } from '../users/dto/user-view.dto';
import { type Role, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import type { AuthResultDto, ClientType, DeviceInputDto } from './dto/auth-result.dto';
import type { MeResponseDto, SessionResponseDto } from './dto/session-response.dto';
import type { LiveState } from './access-token.verifier';
import { type LiveSession, LiveSessionStore } from './live-session.store';
import { openSuccessor, sealSuccessor } from './refresh-successor';
import { clearSessionCookies, setSessionCookies } from './session-cookies';
import { RefreshToken, Session } from './session.entity';
import {
  type Rotation,
  type RevokedSession,
  type SessionFacts,
  type SessionFilter,
  SessionRepository,
} from './session.repository';
import { hashRefreshToken, newRefreshToken, parseRefreshToken, UUID_PATTERN } from './session-token';

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

interface Lifetimes {
  access: number;
  refresh: number;
  idle: number;
}

/**
 * Sessions: a durable row in PostgreSQL (refresh rotation, history) and a live record in
 * Redis (what each request checks). Revocation updates the row, then deletes the record.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
    private readonly tokens: AccessTokenService,
    private readonly store: LiveSessionStore,
    private readonly clock: Clock,
    private readonly repository: SessionRepository,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(sessionsConfig.KEY) private readonly settings: ConfigType<typeof sessionsConfig>,
  ) {}

  /** Starts a session after a successful sign-in and answers API.md's AuthResult. */
  async start(input: StartSessionInput, reply: FastifyReply): Promise<AuthResultDto> {
    const { user, ctx } = input;
    const lifetimes = await this.lifetimesOf(user.tenantId);
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
    await this.store.remove((await this.enforceCaps(user, isNew, ctx)).map((entry) => entry.id));
    const view = this.users.toView(user);
    await this.publish(session, user, view, this.devices.summaryOf(device), sinceMonoMs);
    if (isNew) await this.devices.notifyNewSignIn(user, device, ctx);
    return this.respond(session, user, view, input.client ?? 'web', refresh.token, lifetimes, reply);
  }

  /**
   * Holds the user to MAX_DEVICES_PER_USER and MAX_SESSIONS_PER_USER, least recently used
   * first. Runs after the sign-in committed rather than inside it: each run sees every
   * sign-in committed before it, so the last of a burst to finish sees them all and the burst
   * ends within the caps, and no lock makes a user's sign-ins wait for each other (holding
   * pool connections meanwhile). While a burst is in flight, the user may hold the cap plus
   * those sign-ins.
   */
  private async enforceCaps(user: User, hasNewDevice: boolean, ctx: RequestContext): Promise<RevokedSession[]> {
    const revoked: RevokedSession[] = [];
    // Only a new device can take the user past the device cap: known ones skip this round trip.
    if (hasNewDevice) {
      const ofForgottenDevices = await this.em.fork().transactional(async (em) => {
        const rows: RevokedSession[] = [];
        for (const deviceId of await this.devices.forgetBeyondCap(user, ctx, em)) {
          rows.push(
            ...(await this.revokeIn(em, { tenantId: user.tenantId, userId: user.id, deviceId }, 'device_limit', ctx)),
          );
        }
        return rows;
      });
      revoked.push(...ofForgottenDevices);
    }
    const leastRecentlyUsed = await this.repository.revokeLeastRecentlyUsed(this.em, {
      tenantId: user.tenantId,
      userId: user.id,
      keep: this.settings.maxSessionsPerUser,
      reason: 'session_limit',
      now: this.clock.now(),
      audit: { ip: ctx.ip ?? null, userAgent: ctx.userAgent ?? null, requestId: ctx.requestId ?? null },
    });
    return [...revoked, ...leastRecentlyUsed];
  }

  /**
   * Rotates a refresh token with one compare-and-swap statement (see SessionRepository.rotate).
   * A token rotated less than REFRESH_REUSE_GRACE_SECONDS ago whose successor is still
   * current gets that same successor (two tabs refreshing at once); any other token that was
   * already rotated is a replay: the session is revoked (REFRESH_TOKEN_REUSED).
   */
  async refresh(token: string, client: ClientType, ctx: RequestContext, reply: FastifyReply): Promise<AuthResultDto> {
    const parsed = parseRefreshToken(token);
    if (!parsed) throw new AppException('REFRESH_TOKEN_INVALID');
    const lifetimes = await this.lifetimesOf(ctx.tenantId);
    const now = this.clock.now();
    const next = newRefreshToken(parsed.sessionId);
    const hasGrace = this.settings.refreshReuseGraceSeconds > 0;
    const sinceMonoMs = performance.now();
    // No fork: the rotation is one raw statement, nothing enters an identity map.
    const rotation = await this.repository.rotate(this.em, {
      id: parsed.sessionId,
      tenantId: ctx.tenantId,
      oldHash: parsed.hash,
      newHash: next.hash,
      sealedSuccessor: hasGrace ? sealSuccessor(this.auth.encryptionKey, token, parsed.sessionId, next.token) : null,
      now,
      idleExpiresAt: new Date(now.getTime() + lifetimes.idle * 1000),
      audit: {
        id: randomUUID(),
        ip: ctx.ip ?? null,
        userAgent: ctx.userAgent ?? null,
        requestId: ctx.requestId ?? null,
        createdAt: new Date(),
      },
    });
    if (rotation) return this.answerRefresh(rotation, next.token, client, lifetimes, sinceMonoMs, reply);
    const graced = hasGrace ? await this.successorWithinGrace(token, parsed, ctx, now) : null;
    if (graced) return this.answerRefresh(graced.rotation, graced.successor, client, lifetimes, sinceMonoMs, reply);
    return this.refusal(this.em.fork(), parsed, ctx, now);
  }

  private async answerRefresh(
    { session, user, device }: Rotation,
    refreshToken: string,
    client: ClientType,
    lifetimes: Lifetimes,
    sinceMonoMs: number,
    reply: FastifyReply,
  ): Promise<AuthResultDto> {
    const view = this.users.toView(user);
    await this.publish(session, user, view, device, sinceMonoMs);
    return this.respond(session, user, view, client, refreshToken, lifetimes, reply);
  }

  /**
   * The successor a racing replay of `token` gets within the grace window: the session's
   * current refresh token, unsealed with `token` itself. Null when the window is over, the
   * successor was used (rotated in turn), the session is gone or the seal does not open
   * (ENCRYPTION_KEY changed): then the replay path decides. Nothing rotates here, so every
   * racer holds the same live token afterwards.
   */
  private async successorWithinGrace(
    token: string,
    parsed: { sessionId: string; hash: string },
    ctx: RequestContext,
    now: Date,
  ): Promise<{ rotation: Rotation; successor: string } | null> {
    const candidate = await this.repository.findWithinGrace(this.em, {
      id: parsed.sessionId,
      tenantId: ctx.tenantId,
      presentedHash: parsed.hash,
      rotatedAfter: new Date(now.getTime() - this.settings.refreshReuseGraceSeconds * 1000),
      now,
    });
    if (!candidate) return null;
    const successor = openSuccessor(this.auth.encryptionKey, token, parsed.sessionId, candidate.sealedSuccessor);
    if (!successor) return null;
    const isCurrent = timingSafeEqual(
      Buffer.from(hashRefreshToken(successor), 'hex'),
      Buffer.from(candidate.tokenHash, 'hex'),
    );
    if (!isCurrent) return null;
    const { session } = candidate;
    await this.audit.record(
      {
        type: 'session.refreshed',
        outcome: 'success',
        tenantId: session.tenantId,
        subjectId: session.userId,
        sessionId: session.id,
        deviceId: session.deviceId,
        data: { reuseGrace: true },
      },
      ctx,
      this.em.fork(),
    );
    return { rotation: candidate, successor };
  }

  /** The rare path of a refresh that did not rotate: a replay, an inactive user, or just a bad token. */
  private async refusal(
    em: EntityManager,
    parsed: { sessionId: string; hash: string },
    ctx: RequestContext,
    now: Date,
  ): Promise<never> {
    const why = await this.repository.whyNotRotated(em, {
      id: parsed.sessionId,
      tenantId: ctx.tenantId,
      hash: parsed.hash,
      now,
    });
    if (why.reused) {
      await em.transactional(async (tx) => {
        await this.revokeIn(tx, { id: parsed.sessionId }, 'refresh_token_reused', ctx);
        const owner = await tx.findOne(Session, { id: parsed.sessionId });
        await this.audit.record(
          {
            type: 'refresh.reuse_detected',
            outcome: 'failure',
            tenantId: owner?.tenantId ?? ctx.tenantId,
            subjectId: owner?.userId ?? null,
            sessionId: parsed.sessionId,
            deviceId: owner?.deviceId ?? null,
          },
          ctx,
          tx,
        );
      });
      await this.store.remove([parsed.sessionId]);
      throw new AppException('REFRESH_TOKEN_REUSED');
    }
    // A valid token of a user who is no longer active: the session ends here.
    if (why.inactiveUser) {
      const revoked = await em.transactional(async (tx) => {
        const rows = await this.revokeIn(tx, { id: parsed.sessionId, tenantId: ctx.tenantId }, 'account_inactive', ctx);
        // As when the refresh rotated before revoking: presenting this token again is a replay.
        if (rows.length > 0) {
          await tx.insert(RefreshToken, { tokenHash: parsed.hash, sessionId: parsed.sessionId, rotatedAt: now });
        }
        return rows;
      });
      await this.store.remove(revoked.map((session) => session.id));
    }
    throw new AppException('REFRESH_TOKEN_INVALID');
  }

  /** `state` is what the guard already read from Redis: normally GET /me needs no other I/O. */
  async me(auth: AuthPrincipal, state: LiveState | undefined): Promise<MeResponseDto> {
    const session = state?.live ?? (await this.store.get(auth.sessionId));
    if (!session) throw new AppException('UNAUTHORIZED');
    return {
      user: state?.userView
        ? (JSON.parse(state.userView) as UserViewDto)
        : await this.userSnapshot(auth.tenantId, auth.userId),
      session: {
        id: session.sessionId,
        createdAt: session.createdAt,
        lastSeenAt: session.lastSeenAt,
        expiresAt: session.expiresAt,
        aal: session.aal,
        device: session.device,
      },
    };
  }

  async logout(auth: AuthPrincipal, ctx: RequestContext, reply: FastifyReply): Promise<void> {
    await this.revokeSession(auth.tenantId, auth.sessionId, 'logout', ctx);
    clearSessionCookies(reply, { secure: this.app.cookieSecure });
  }

  /** Live sessions of a user, newest first; `currentSessionId` marks the caller's own. */
  async listLive(tenantId: string, userId: string, currentSessionId?: string): Promise<SessionResponseDto[]> {
    const now = this.clock.now();
    // The cap bounds the list; the limit also bounds a user who was over it before a lower cap.
    const sessions = await this.repository.findLive(this.em, tenantId, userId, now, this.settings.maxSessionsPerUser);
    const devices = await this.devices.summariesOf(sessions.flatMap((session) => session.deviceId ?? []));
    return sessions.map((session) => ({
      id: session.id,
      current: session.id === currentSessionId,
      createdAt: session.createdAt.toISOString(),
      lastSeenAt: session.lastSeenAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      ip: session.ip,
      userAgent: session.userAgent,
      aal: session.aal,
      device: (session.deviceId && devices.get(session.deviceId)) || null,
    }));
  }

  /** The caller revokes one of their own sessions; anyone else's (or a malformed id) is NOT_FOUND. */
  async revokeOwn(auth: AuthPrincipal, sessionId: string, ctx: RequestContext): Promise<void> {
    if (!UUID_PATTERN.test(sessionId)) throw new AppException('NOT_FOUND');
    const revoked = await this.revokeWhere(
      { id: sessionId.toLowerCase(), tenantId: auth.tenantId, userId: auth.userId },
      'user_revoked',
      ctx,
    );
    if (revoked.length === 0) throw new AppException('NOT_FOUND');
  }

  async revokeSession(tenantId: string, sessionId: string, reason: string, ctx?: RequestContext): Promise<boolean> {
    if (!UUID_PATTERN.test(sessionId)) return false;
    return (await this.revokeWhere({ id: sessionId.toLowerCase(), tenantId }, reason, ctx)).length > 0;
  }

  /** Every live session of a user (password reset, restriction, "sign out everywhere else"). */
  async revokeAllForUser(
    tenantId: string,
    userId: string,
    reason: string,
    exceptSessionId?: string,
    ctx?: RequestContext,
  ): Promise<number> {
    const revoked = await this.revokeWhere({ tenantId, userId, exceptId: exceptSessionId }, reason, ctx);
    return revoked.length;
  }

  /** A disabled tenant: nobody already signed in keeps access. */
  async revokeAllForTenant(tenantId: string, reason: string, ctx?: RequestContext): Promise<number> {
    return (await this.revokeWhere({ tenantId }, reason, ctx)).length;
  }

  async revokeDevice(tenantId: string, userId: string, deviceId: string, reason: string, ctx?: RequestContext) {
    return (await this.revokeWhere({ tenantId, userId, deviceId }, reason, ctx)).length;
  }

  /** New roles on every live record of the user: a demotion is seen on the very next request. */
  async updateLiveRoles(tenantId: string, userId: string, roles: Role[]): Promise<void> {
    const live = await this.repository.findLive(this.em.fork(), tenantId, userId, this.clock.now());
    await this.store.updateRoles(
      live.map((session) => session.id),
      roles,
    );
    await this.store.forgetUserView(userId);
  }

  /** Call after changing anything GET /me shows about the user. */
  async forgetUserSnapshot(userId: string): Promise<void> {
    await this.store.forgetUserView(userId);
  }

  private async revokeWhere(
    where: SessionFilter & { tenantId: string },
    reason: string,
    ctx?: RequestContext,
  ): Promise<RevokedSession[]> {
    const revoked = await this.em.fork().transactional((em) => this.revokeIn(em, where, reason, ctx));
    await this.store.remove(revoked.map((session) => session.id));
    return revoked;
  }

  /** One conditional UPDATE; the audit events commit with it. The caller removes the live records. */
  private async revokeIn(
    em: EntityManager,
    where: SessionFilter,
    reason: string,
    ctx?: RequestContext,
  ): Promise<RevokedSession[]> {
    const rows = await this.repository.revokeWhere(em, where, reason, this.clock.now());
    for (const row of rows) {
      await this.audit.record(
        {
          type: 'session.revoked',
          outcome: 'success',
          tenantId: row.tenantId,
          subjectId: row.userId,
          sessionId: row.id,
          deviceId: row.deviceId,
          data: { reason },
        },
        ctx,
        em,
      );
    }
    return rows;
  }

  /**
   * Writes the live record and the user view (one pipeline). A revocation that committed
   * meanwhile (its delete may have run before our write) is honoured instead of being
   * resurrected: its tombstone refuses the write, and a publish too slow for the tombstone
   * to prove it re-reads the row as before.
   */
  private async publish(
    session: SessionFacts,
    user: User,
    view: UserViewDto,
    device: DeviceSummaryDto | null,
    sinceMonoMs: number,
  ): Promise<void> {
    const live: LiveSession = {
      sessionId: session.id,
      userId: session.userId,
      tenantId: session.tenantId,
      roles: user.roles,
      amr: session.amr,
      aal: session.aal,
      authTime: Math.floor(session.authTime.getTime() / 1000),
      deviceId: session.deviceId,
      device,
      createdAt: session.createdAt.toISOString(),
      lastSeenAt: session.lastSeenAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      idleExpiresAt: session.idleExpiresAt.toISOString(),
    };
    const outcome = await this.store.publish(live, view, this.clock.nowMs(), sinceMonoMs);
    // Only a publish too slow for the tombstone to prove anything pays for the re-read.
    if (outcome === 'unsure' && (await this.repository.isRevoked(this.em.fork(), session.id))) {
      await this.store.remove([session.id]);
    }
  }

  private async respond(
    session: SessionFacts,
    user: User,
    view: UserViewDto,
    client: ClientType,
    refreshToken: string,
    lifetimes: Lifetimes,
    reply: FastifyReply,
  ): Promise<AuthResultDto> {
    const accessToken = await this.tokens.issue(
      {
        sub: user.id,
        sid: session.id,
        tid: session.tenantId,
        roles: user.roles,
        amr: session.amr,
        aal: session.aal,
        auth_time: Math.floor(session.authTime.getTime() / 1000),
      },
      lifetimes.access,
    );
    const result: AuthResultDto = {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: lifetimes.access,
      sessionId: session.id,
      user: view,
    };
    if (client === 'native') return { ...result, refreshToken };
    setSessionCookies(
      reply,
      { secure: this.app.cookieSecure },
      {
        accessToken,
        accessTtl: lifetimes.access,
        refreshToken,
        refreshTtl: Math.max(1, Math.floor((session.expiresAt.getTime() - this.clock.nowMs()) / 1000)),
      },
    );
    return result;
  }

  private async userSnapshot(tenantId: string, userId: string): Promise<UserViewDto> {
    const cached = await this.store.userView(userId);
    if (cached) return cached;
    const user = await this.users.findById(tenantId, userId);
    if (!user) throw new AppException('UNAUTHORIZED');
    const view = this.users.toView(user);
    await this.store.putUserView(view);
    return view;
  }

  private async lifetimesOf(tenantId: string): Promise<Lifetimes> {
    const settings = await this.tenants.settingsOf(tenantId);
    return {
      access: settings.accessTokenTtl ?? this.auth.accessTokenTtl,
      refresh: settings.refreshTokenTtl ?? this.auth.refreshTokenTtl,
      idle: settings.sessionIdleTtl ?? this.auth.sessionIdleTtl,
    };
  }
}
