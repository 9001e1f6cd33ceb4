import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSettings, SessionAnswer } from '../sessions/session-cookies';
import { answerWith, cookieOf } from '../sessions/session-cookies';

/** The pending second factor of a page sign-in: kept in an HttpOnly cookie, never in the HTML. */
export const MFA_COOKIE = 'sa_mfa';
export const MFA_COOKIE_PATH = '/signin/mfa';
const MFA_COOKIE_SECONDS = 300;

export interface PendingMfa {
  mfaToken: string;
  methods: string[];
  /** Whether a passkey may finish it (a button with JavaScript, beside the form's methods). */
  passkey?: boolean;
  /** Why the challenge was asked beyond the user's own factors (a new place), said on the page. */
  reason?: 'new_place';
}

/** Methods a page can ask for without JavaScript (passkeys need the browser API). */
const PAGE_METHODS = ['totp', 'email', 'recovery_code'];

export function pendingMfaOf(request: FastifyRequest): PendingMfa | undefined {
  const raw = cookieOf(request, MFA_COOKIE);
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingMfa>;
    if (typeof parsed.mfaToken !== 'string' || !Array.isArray(parsed.methods)) return undefined;
    return {
      mfaToken: parsed.mfaToken,
      methods: parsed.methods.filter((m) => PAGE_METHODS.includes(m)),
      passkey: parsed.methods.includes('passkey'),
      ...(parsed.reason === 'new_place' ? { reason: parsed.reason } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Finishes a first factor on a page: a session's cookies are set (the same web cookies the API
 * sets) and the browser goes on to `next`; a challenge keeps its token in a cookie for /signin/mfa.
 * Answers where to send the browser.
 */
export function finishFirstFactor(
  reply: FastifyReply,
  settings: CookieSettings,
  answer: SessionAnswer<object>,
  next: { signedIn: string; mfa: string },
): string {
  const body = answer.body as { mfaRequired?: boolean; mfaToken?: string; methods?: string[]; reason?: 'new_place' };
  answerWith(reply, answer);
  if (body.mfaRequired !== true || typeof body.mfaToken !== 'string') return next.signedIn;
  const pending: PendingMfa = { mfaToken: body.mfaToken, methods: body.methods ?? [], reason: body.reason };
  void reply.setCookie(MFA_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), {
    httpOnly: true,
    secure: settings.secure,
    sameSite: 'strict',
    path: MFA_COOKIE_PATH,
    maxAge: MFA_COOKIE_SECONDS,
  });
  return next.mfa;
}

/** What the challenge page shows of a pending second factor (never its token). */
export function challengeView(pending: PendingMfa): Omit<PendingMfa, 'mfaToken'> {
  return { methods: pending.methods, passkey: pending.passkey, reason: pending.reason };
}

export function clearPendingMfa(reply: FastifyReply, settings: CookieSettings): void {
  void reply.clearCookie(MFA_COOKIE, {
    httpOnly: true,
    secure: settings.secure,
    sameSite: 'strict',
    path: MFA_COOKIE_PATH,
  });
}
