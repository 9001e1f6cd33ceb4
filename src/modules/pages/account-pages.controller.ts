import { Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app-exception';
import type { ErrorCode } from '../../common/errors/error-codes';
import { appConfig } from '../../config';
import { AccessTokenVerifier, type LiveState } from '../sessions/access-token.verifier';
import { SessionQueries } from '../sessions/session-queries.service';
import { SessionRevoker } from '../sessions/session-revoker.service';
import { answerWith, clearedSessionCookies } from '../sessions/session-cookies';
import { flowOf, flowQuery } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import { PageGate } from './page-gate.service';
import { PageRenderer } from './page-renderer.service';

const SIGNED_OUT = new Set<ErrorCode>(['UNAUTHORIZED', 'TOKEN_EXPIRED']);

const STYLESHEET = readFileSync(join(__dirname, 'assets', 'pages.css'));

/** /account (a signed-in landing page for now) and /signout; the stylesheet every page links. */
@Controller()
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class AccountPagesController {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly gate: PageGate,
    private readonly verifier: AccessTokenVerifier,
    private readonly queries: SessionQueries,
    private readonly revoker: SessionRevoker,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get('pages/assets/pages.css')
  @Public()
  stylesheet(@Res() reply: FastifyReply) {
    return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET);
  }

  @Get('account')
  @Public()
  async accountPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    const caller = await this.signedIn(request);
    if (!caller) {
      const flow = flowOf(request);
      return reply.redirect(
        `/signin${flowQuery({ ...flow, returnTo: `/account${flowQuery({ ...flow, returnTo: undefined })}` })}`,
        303,
      );
    }
    const { user } = await this.queries.me(caller.auth, caller.state);
    const userLocale = (user.profile as { locale?: string | null }).locale ?? null;
    return this.renderer.render(request, reply, 'account', { user, userLocale });
  }

  @Post('signout')
  @Public()
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const caller = await this.signedIn(request);
    if (caller) {
      await this.revoker.revoke({ tenantId: caller.auth.tenantId, id: caller.auth.sessionId }, 'logout', ctx);
    }
    answerWith(reply, { body: undefined, cookies: clearedSessionCookies({ secure: this.app.cookieSecure }) });
    const query = flowQuery({ ...flowOf(request), returnTo: undefined });
    return reply.redirect(`/signin${query}${query ? '&' : '?'}notice=signed_out`, 303);
  }

  /**
   * The caller of a page, or null. The page's own CSRF token already proved a form came from
   * this service, so the session is read as on a GET: the API's Origin allow-list (CORS_ORIGINS)
   * is for script requests and need not name the service itself.
   */
  private async signedIn(
    request: FastifyRequest,
  ): Promise<{ auth: AuthPrincipal; state: LiveState | undefined } | null> {
    const asRead = Object.create(request, { method: { value: 'GET' } }) as FastifyRequest;
    try {
      const auth = await this.verifier.authenticate(asRead);
      return { auth, state: this.verifier.liveStateOf(asRead) };
    } catch (error) {
      // Signed out, expired or revoked: the page asks for a sign-in instead of answering 401.
      // An unreachable Redis is no sign-out: it stays an error (never fail open, never look signed out).
      if (error instanceof AppException && SIGNED_OUT.has(error.code)) return null;
      throw error;
    }
  }
}
