import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../errors';
import type { AuthPrincipal } from './auth-principal';

/**
 * The caller's live session (who, which session, which tenant, how recently they proved it), as the
 * global guard verified it for this request. Handlers take it only through this decorator.
 */
export const CurrentSession = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthPrincipal => {
  const auth = ctx.switchToHttp().getRequest<FastifyRequest>().auth;
  // Only reachable on a route wrongly marked @Public(): fail closed.
  if (!auth) throw new AppException('UNAUTHORIZED');
  return auth;
});
