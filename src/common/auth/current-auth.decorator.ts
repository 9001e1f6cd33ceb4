import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../errors';
import type { AuthPrincipal } from './auth-principal';

export const CurrentAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthPrincipal => {
  const auth = ctx.switchToHttp().getRequest<FastifyRequest>().auth;
  // Only reachable on a route wrongly marked @Public(): fail closed.
  if (!auth) throw new AppException('UNAUTHORIZED');
  return auth;
});
