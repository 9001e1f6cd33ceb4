import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { appConfig } from '../../config/app.config';
import type { UserViewDto } from '../users/dto/user-view.dto';
import type { Role } from '../users/user.entity';
import { AccessTokenService } from './access-token.service';
import type { AuthResultDto, ClientType } from './dto/auth-result.dto';
import { clearedSessionCookies, type SessionAnswer, sessionCookies, type SessionCookie } from './session-cookies';
import type { SessionFacts } from './session.repository';
import type { Lifetimes } from './session-lifetimes.service';

/**
 * API.md's AuthResult for a session that was just started or refreshed: a fresh access token,
 * and the refresh token in the body (native clients) or in HttpOnly cookies (web).
 */
@Injectable()
export class SessionAnswers {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly clock: Clock,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async authResult(
    session: SessionFacts,
    user: { id: string; roles: Role[] },
    view: UserViewDto,
    client: ClientType,
    refreshToken: string,
    lifetimes: Lifetimes,
  ): Promise<SessionAnswer<AuthResultDto>> {
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
    const body: AuthResultDto = {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: lifetimes.access,
      sessionId: session.id,
      user: view,
    };
    if (client === 'native') return { body: { ...body, refreshToken }, cookies: [] };
    const cookies = sessionCookies(
      { secure: this.app.cookieSecure },
      {
        accessToken,
        accessTtl: lifetimes.access,
        refreshToken,
        refreshTtl: Math.max(1, Math.floor((session.expiresAt.getTime() - this.clock.nowMs()) / 1000)),
      },
    );
    return { body, cookies };
  }

  /** What a signed-out browser must forget. */
  cleared(): SessionCookie[] {
    return clearedSessionCookies({ secure: this.app.cookieSecure });
  }
}
