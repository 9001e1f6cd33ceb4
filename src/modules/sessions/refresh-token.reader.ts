import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../../common/errors';
import { appConfig } from '../../config/app.config';
import type { ClientType } from './dto/auth-result.dto';
import type { RefreshSessionDto } from './dto/session-response.dto';
import { allowedOriginsFor, CROSS_SITE_REFUSED, isCrossSiteRequestAllowed } from './csrf';
import { cookieOf, REFRESH_COOKIE } from './session-cookies';

/** Where a refresh token comes from decides the client kind: the body is native, the cookie web. */
@Injectable()
export class RefreshTokenReader {
  constructor(@Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>) {}

  read(request: FastifyRequest, body: RefreshSessionDto | undefined): { token: string; client: ClientType } {
    if (body?.refreshToken) return { token: body.refreshToken, client: 'native' };
    const cookie = cookieOf(request, REFRESH_COOKIE);
    if (!cookie) throw new AppException('REFRESH_TOKEN_INVALID');
    // The cookie is SameSite=Strict already; the origin check also covers old browsers.
    if (!isCrossSiteRequestAllowed(request.method, request.headers, allowedOriginsFor(request, this.app))) {
      throw AppException.saying('FORBIDDEN', CROSS_SITE_REFUSED);
    }
    return { token: cookie, client: 'web' };
  }
}
