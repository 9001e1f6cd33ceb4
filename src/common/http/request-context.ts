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
  };
}

export const ReqCtx = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestContext => {
  return requestContextOf(ctx.switchToHttp().getRequest<FastifyRequest>());
});
