import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { RecentAuthGuard } from '../../common/auth/require-recent-auth.decorator';
import { AppException } from '../../common/errors/app-exception';
import type { RequestContext } from '../../common/http/request-context';
import type { ErrorCode } from '../../common/errors/error-codes';
import { AccessTokenVerifier, type LiveState } from '../sessions/access-token.verifier';
import { accessTokenOf } from '../sessions/session-cookies';
import { SessionQueries } from '../sessions/session-queries.service';
import { flowOf, flowQuery } from './page-context';
import { PageGate } from './page-gate.service';

const SIGNED_OUT = new Set<ErrorCode>(['UNAUTHORIZED', 'TOKEN_EXPIRED']);

/** Where a page sends a browser without an access cookie: under the refresh cookie's path (PageRefreshController). */
export const PAGE_REFRESH_PATH = '/api/auth/page-refresh';

/** The signed-in caller of an account page, as the API's guard would see them. */
export interface PageCaller {
  auth: AuthPrincipal;
  state: LiveState | undefined;
}

/** An account page's request once it passed the gate and its caller is known. */
export interface EnteredPage {
  ctx: RequestContext;
  caller: PageCaller;
}

/** Who is asking on an account page, and whether their sign-in is recent enough for a step-up action. */
@Injectable()
export class PageCallers {
  constructor(
    private readonly gate: PageGate,
    private readonly verifier: AccessTokenVerifier,
    private readonly recentAuth: RecentAuthGuard,
    private readonly queries: SessionQueries,
  ) {}

  /**
   * An account page (a GET, or with `form` a POST checked for its CSRF token first): its tenant and
   * signed-in caller, or null once the browser was sent to sign in (coming back to `path`).
   */
  async enter(request: FastifyRequest, reply: FastifyReply, path: string, form = false): Promise<EnteredPage | null> {
    const ctx = form ? await this.gate.enterForm(request) : await this.gate.enter(request);
    const caller = await this.of(request);
    if (caller) return { ctx, caller };
    void this.toSignIn(request, reply, path);
    return null;
  }

  /**
   * The caller of a page, or null. The page's own CSRF token already proved a form came from
   * this service, so the session is read as on a GET: the API's Origin allow-list (CORS_ORIGINS)
   * is for script requests and need not name the service itself.
   */
  async of(request: FastifyRequest): Promise<PageCaller | null> {
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

  /**
   * To the sign-in page, coming back to `path` (with the flow) once signed in. A browser whose
   * access cookie ran out (it lives as long as the token) first tries its refresh cookie; one that
   * still sends an access cookie was refused for another reason and signs in again (no loop).
   */
  toSignIn(request: FastifyRequest, reply: FastifyReply, path: string) {
    const flow = flowOf(request);
    const back = `${path}${flowQuery({ ...flow, returnTo: undefined })}`;
    const next = accessTokenOf(request) === null ? PAGE_REFRESH_PATH : '/signin';
    return reply.redirect(`${next}${flowQuery({ ...flow, returnTo: back })}`, 303);
  }

  /** The caller's chosen language (profile.locale), read as GET /api/auth/me reads it: from the live session's cache. */
  async localeOf(caller: PageCaller): Promise<string | null> {
    const { user } = await this.queries.me(caller.auth, caller.state);
    return user.profile.locale ?? null;
  }

  /** 401 REAUTH_REQUIRED, as the API's step-up routes answer, when the last sign-in is older than REAUTH_WINDOW. */
  assertRecent(caller: PageCaller): void {
    this.recentAuth.assertRecent(caller.auth);
  }
}

/** Where a page's form goes after it succeeded: back to `path`, saying what happened. */
export function redirectWithNotice(request: FastifyRequest, reply: FastifyReply, path: string, notice: string) {
  const query = flowQuery({ ...flowOf(request), returnTo: undefined });
  return reply.redirect(`${path}${query}${query ? '&' : '?'}notice=${notice}`, 303);
}

export function isReauthRequired(failure: unknown): boolean {
  return failure instanceof AppException && failure.code === 'REAUTH_REQUIRED';
}
