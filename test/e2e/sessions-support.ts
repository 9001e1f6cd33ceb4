import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../src/common/http/request-context';
import type { ClientType, DeviceInputDto } from '../../src/modules/sessions/dto/auth-result.dto';
import { SessionIssuer } from '../../src/modules/sessions/session-issuer.service';
import { User } from '../../src/modules/users/user.entity';
import type { TestApp } from '../support/test-app';

export const WEB_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

export interface StartedSession {
  accessToken: string;
  sessionId: string;
  refreshToken: string;
  cookies: Record<string, { value: string; options: Record<string, unknown> }>;
  body: Record<string, unknown>;
}

/**
 * What a sign-in route does after checking credentials: SessionIssuer.start. The cookies are
 * the ones it asks for; every assertion about real Set-Cookie headers goes through HTTP routes.
 */
export async function startSession(
  sut: TestApp,
  user: User,
  options: { client?: ClientType; device?: DeviceInputDto; userAgent?: string; amr?: string[]; aal?: 1 | 2 } = {},
): Promise<StartedSession> {
  const ctx: RequestContext = {
    requestId: randomUUID(),
    ip: '127.0.0.1',
    userAgent: options.userAgent ?? WEB_UA,
    tenantId: user.tenantId,
  };
  const answer = await sut.app.get(SessionIssuer).start({
    user,
    amr: options.amr ?? ['pwd'],
    aal: options.aal ?? 1,
    client: options.client,
    device: options.device,
    ctx,
  });
  const result = answer.body;
  const cookies: StartedSession['cookies'] = {};
  for (const cookie of answer.cookies) {
    if (cookie.kind === 'set') cookies[cookie.name] = { value: cookie.value, options: { ...cookie.options } };
  }
  return {
    accessToken: result.accessToken,
    sessionId: result.sessionId,
    refreshToken: result.refreshToken ?? cookies.sa_refresh?.value ?? '',
    cookies,
    body: result as unknown as Record<string, unknown>,
  };
}
