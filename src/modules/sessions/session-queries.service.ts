import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import { sessionsConfig } from '../../config/sessions.config';
import { DevicesService } from '../devices/devices.service';
import type { UserViewDto } from '../users/dto/user-view.dto';
import { UsersService } from '../users/users.service';
import type { LiveState } from './access-token.verifier';
import type { MeResponseDto, SessionResponseDto } from './dto/session-response.dto';
import { LiveSessionStore } from './live-session.store';
import { SessionRepository } from './session.repository';

/** What a user may read about their sessions (GET /me, the session list). */
@Injectable()
export class SessionQueries {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: SessionRepository,
    private readonly store: LiveSessionStore,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    private readonly clock: Clock,
    @Inject(sessionsConfig.KEY) private readonly settings: ConfigType<typeof sessionsConfig>,
  ) {}

  /**
   * Whether what was granted in this session may still be used (OIDC grants live as long as their
   * session): not revoked, before its absolute end. The idle end is the web cookie's business.
   */
  isUsable(tenantId: string, sessionId: string): Promise<boolean> {
    return this.repository.isUsable(this.em, tenantId, sessionId);
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
      country: session.country,
      city: session.city,
      service: session.service,
      aal: session.aal,
      device: (session.deviceId && devices.get(session.deviceId)) || null,
    }));
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
}
