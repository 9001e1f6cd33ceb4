import { Controller, Get, Inject, Req, Res, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app-exception';
import { appConfig } from '../../config';
import { serviceOrigin } from '../sessions/csrf';
import { RefreshTokenReader } from '../sessions/refresh-token.reader';
import { answerWith } from '../sessions/session-cookies';
import { SessionRefresher } from '../sessions/session-refresher.service';
import { PAGE_REFRESH_PATH } from './page-caller.service';
import { flowOf, flowQuery } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import { PageGate } from './page-gate.service';
import { safeReturnTo } from './page-security';

/**
 * The access cookie lives ACCESS_TOKEN_TTL (15 minutes); the refresh cookie is scoped to /api/auth,
 * so a page cannot renew a session itself. An account page without an access cookie sends the
 * browser here: the refresh cookie rotates as on POST /api/auth/refresh, the new cookies are set,
 * and the browser goes back to the page; without a live refresh token, on to the sign-in page.
 *
 * A GET, so it works without JavaScript. A forged link gains nothing: the refresh cookie is
 * SameSite=Strict (a link from another site arrives without it), nothing is answered but cookies
 * for the browser's own session, and `return_to` is only ever a path on this service.
 */
@Controller()
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class PageRefreshController {
  constructor(
    private readonly gate: PageGate,
    private readonly refreshTokens: RefreshTokenReader,
    private readonly refresher: SessionRefresher,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get(PAGE_REFRESH_PATH.slice(1))
  @Public()
  async refreshForPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enter(request);
    const flow = flowOf(request);
    // Own paths only: RETURN_TO_ORIGINS is for finished sign-ins, not for this hop.
    const back = safeReturnTo(flow.returnTo, serviceOrigin(request, this.app), []) ?? '/account';
    try {
      const { token } = this.refreshTokens.read(request, undefined);
      answerWith(reply, await this.refresher.refresh(token, 'web', ctx));
    } catch (failure) {
      if (!(failure instanceof AppException) || failure.getStatus() !== 401) throw failure;
      return reply.redirect(`/signin${flowQuery({ ...flow, returnTo: back })}`, 303);
    }
    return reply.redirect(back, 303);
  }
}
