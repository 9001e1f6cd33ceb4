import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { Public } from '../../common/auth/public.decorator';
import { ApiErrors, Authenticated, Operation, REFRESH_COOKIE_SCHEME } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AccessTokenVerifier } from './access-token.verifier';
import { AuthResultDto, SET_SESSION_COOKIES } from './dto/auth-result.dto';
import { MeResponseDto, RefreshSessionDto, SessionResponseDto } from './dto/session-response.dto';
import { RefreshTokenReader } from './refresh-token.reader';
import { AppException } from '../../common/errors';
import { SessionAnswers } from './session-answers.service';
import { answerWith } from './session-cookies';
import { SessionQueries } from './session-queries.service';
import { SessionRefresher } from './session-refresher.service';
import { SessionRevoker } from './session-revoker.service';

@ApiTags('sessions')
@Controller('api/auth')
export class SessionsController {
  constructor(
    private readonly refresher: SessionRefresher,
    private readonly queries: SessionQueries,
    private readonly revoker: SessionRevoker,
    private readonly answers: SessionAnswers,
    private readonly verifier: AccessTokenVerifier,
    private readonly refreshTokens: RefreshTokenReader,
  ) {}

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @Operation(
    'refresh',
    'Rotate the refresh token and get a new access token',
    'Web clients send the HttpOnly `sa_refresh` cookie (and an allowed Origin); native clients send `refreshToken` in the body. The presented token dies. Presented again within REFRESH_REUSE_GRACE_SECONDS (default 10 s) while its successor is unused, it gets that same successor (two tabs refreshing at once); later, or once the successor was used, it revokes the session (REFRESH_TOKEN_REUSED).',
  )
  // The server reads the cookie when the body has no token: the body is optional.
  @ApiBody({ type: RefreshSessionDto, required: false })
  @ApiSecurity(REFRESH_COOKIE_SCHEME)
  @ApiOkResponse({
    description: 'A new access token and a rotated refresh token (cookie for web clients, body for native ones)',
    type: AuthResultDto,
    headers: SET_SESSION_COOKIES,
  })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED', 'FORBIDDEN')
  async refresh(
    @Body() body: RefreshSessionDto,
    @Req() request: FastifyRequest,
    @ReqCtx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthResultDto> {
    const { token, client } = this.refreshTokens.read(request, body);
    return answerWith(reply, await this.refresher.refresh(token, client, ctx));
  }

  @Get('me')
  @Authenticated()
  @Operation(
    'me',
    'The caller and their current session',
    "The caller's user view and the current session (its device, assurance level and lifetimes), read from the live session: a revoked session answers 401 at once.",
  )
  @ApiOkResponse({ description: 'The caller and their current session', type: MeResponseDto })
  me(@CurrentSession() auth: AuthPrincipal, @Req() request: FastifyRequest): Promise<MeResponseDto> {
    return this.queries.me(auth, this.verifier.liveStateOf(request));
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(204)
  @Operation(
    'logout',
    'Revoke the current session and clear the cookies',
    'Revokes the session this access token belongs to: its access tokens stop working at once, and its refresh token is dead. Web clients also get both cookies cleared; cookie requests need an allowed Origin.',
  )
  @ApiNoContentResponse({
    description: 'Signed out; web clients get both cookies cleared',
    headers: SET_SESSION_COOKIES,
  })
  @ApiErrors('FORBIDDEN')
  async logout(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.revoker.revoke({ tenantId: auth.tenantId, id: auth.sessionId }, 'logout', ctx);
    answerWith(reply, { body: undefined, cookies: this.answers.cleared() });
  }

  @Get('sessions')
  @Authenticated()
  @Operation(
    'listSessions',
    "The caller's live sessions",
    'At most MAX_SESSIONS_PER_USER (default 50): a sign-in beyond it revokes the least recently used session.',
  )
  @ApiOkResponse({
    description: "The caller's live sessions, the current one marked `current`",
    type: [SessionResponseDto],
  })
  listSessions(@CurrentSession() auth: AuthPrincipal): Promise<SessionResponseDto[]> {
    return this.queries.listLive(auth.tenantId, auth.userId, auth.sessionId);
  }

  @Delete('sessions/:sessionId')
  @Authenticated()
  @HttpCode(204)
  @Operation(
    'revokeSession',
    'Revoke one of the caller’s sessions',
    "Revokes one of the caller's own sessions (from GET /api/auth/sessions): its access and refresh tokens stop working at once. A session of another user, or one already ended, answers 404.",
  )
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors('FORBIDDEN', 'NOT_FOUND')
  async revokeSession(
    @CurrentSession() auth: AuthPrincipal,
    @Param('sessionId') sessionId: string,
    @ReqCtx() ctx: RequestContext,
  ): Promise<void> {
    const own = { tenantId: auth.tenantId, userId: auth.userId, id: sessionId };
    // Anyone else's session (or a malformed id) is as unknown as a missing one.
    if ((await this.revoker.revoke(own, 'user_revoked', ctx)) === 0) throw new AppException('NOT_FOUND');
  }

  @Delete('sessions')
  @Authenticated()
  @HttpCode(204)
  @Operation(
    'revokeOtherSessions',
    'Revoke every session of the caller but the current one',
    'Sign out everywhere else: every live session of the caller but the one making this request is revoked at once.',
  )
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors('FORBIDDEN')
  async revokeOtherSessions(@CurrentSession() auth: AuthPrincipal, @ReqCtx() ctx: RequestContext): Promise<void> {
    const others = { tenantId: auth.tenantId, userId: auth.userId, exceptId: auth.sessionId };
    await this.revoker.revoke(others, 'user_revoked_others', ctx);
  }
}
