import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who is calling, from where: passed from controllers into services and audit events. */
export interface RequestContext {
  requestId: string;
  ip: string;
  userAgent: string | null;
  tenantId: string;
  /** The caller's Accept-Language: the language of a message to someone whose own locale is unknown. */
  acceptLanguage?: string | null;
  /** The app that asked, as it names itself (X-Client-Name), bounded: recorded as a sign-in's `service`. */
  clientName?: string | null;
}

/** At most this many characters of X-Client-Name are kept (API.md). */
export const CLIENT_NAME_MAX = 64;

/**
 * X-Client-Name as recorded: control and format characters (line breaks, bidi overrides) removed,
 * spaces collapsed, at most CLIENT_NAME_MAX characters; empty is no name. Pages escape it on output.
 */
export function clientNameOf(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const cleaned = header
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned ? [...cleaned].slice(0, CLIENT_NAME_MAX).join('') : null;
}

/** Set on the request by TenantGuard (tenantId) and the access-token guard (auth). */
declare module 'fastify' {
  interface FastifyRequest {
    tenantId?: string;
    auth?: import('../auth/auth-principal').AuthPrincipal;
  }
}

export function requestContextOf(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  const acceptLanguage = request.headers['accept-language'];
  return {
    requestId: String(request.id),
    // request.ip honours TRUST_PROXY: a spoofed X-Forwarded-For from an untrusted peer is ignored.
    ip: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
    tenantId: request.tenantId ?? 'default',
    acceptLanguage: typeof acceptLanguage === 'string' ? acceptLanguage.slice(0, 256) : null,
    clientName: clientNameOf(request.headers['x-client-name']),
  };
}

export const ReqCtx = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestContext => {
  return requestContextOf(ctx.switchToHttp().getRequest<FastifyRequest>());
});
