import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { throttleConfig } from '../../config/throttle.config';
import { AppException } from '../errors';
import { matchedRoute } from '../http/matched-route';
import { THROTTLE_SCOPE, type ThrottleScope } from './throttle.decorators';

export const AUTH_THROTTLER = 'auth';
export const DEFAULT_THROTTLER = 'default';

/** Probes, scrapes, docs and public keys: callers are infrastructure, and throttling them hides outages. */
const EXEMPT_PATH = /^\/(?:health\/|metrics\/?$|docs(?:-json)?(?:\/|$)|\.well-known\/)/;

/** What the strictest throttler of a request said; the RateLimit-* headers report that one. */
interface Verdict {
  limit: number;
  remaining: number;
  reset: number;
}

const VERDICT = Symbol('throttleVerdict');
type RequestWithVerdict = FastifyRequest & { [VERDICT]?: Verdict };

/** `route` is the matched route's pattern; an unknown route is never exempt. */
export function isExemptPath(route: string | undefined): boolean {
  return route !== undefined && EXEMPT_PATH.test(route);
}

/** Per IP for `default` (one budget across routes); per IP and route for `auth`. */
export function throttleKeyOf(throttlerName: string, route: string, tracker: string): string {
  return throttlerName === AUTH_THROTTLER ? `${route}:${tracker}` : tracker;
}

/**
 * @nestjs/throttler with the service's conventions: counters in Redis (RedisThrottlerStorage),
 * the IP from `request.ip` (which honours TRUST_PROXY, so a spoofed X-Forwarded-For from an
 * untrusted peer changes nothing), RFC draft RateLimit-* headers, and API.md's 429 body.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(throttleConfig.KEY) private readonly config: ConfigType<typeof throttleConfig>,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = await super.canActivate(context);
    const { req, res } = this.getRequestResponse(context);
    const verdict = (req as RequestWithVerdict)[VERDICT];
    if (verdict) this.writeHeaders(res as FastifyReply, verdict);
    return allowed;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (!this.config.enabled || context.getType() !== 'http') return true;
    return isExemptPath(matchedRoute(context.switchToHttp().getRequest<FastifyRequest>()));
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    // IPv6 clients are grouped by /64: one host usually owns the whole prefix.
    return normalizeIp((req as unknown as FastifyRequest).ip, this.ipv6SubnetPrefix);
  }

  protected override generateKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
    return throttleKeyOf(throttlerName, `${context.getClass().name}.${context.getHandler().name}`, tracker);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = request;
    const name = throttler.name ?? DEFAULT_THROTTLER;
    if (name === AUTH_THROTTLER && !this.isAuthRoute(context)) return true;
    const { req, res } = this.getRequestResponse(context);
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, name);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    const verdict: Verdict = {
      limit,
      remaining: record.isBlocked ? 0 : Math.max(0, limit - record.totalHits),
      reset: record.isBlocked ? record.timeToBlockExpire : record.timeToExpire,
    };
    const previous = (req as RequestWithVerdict)[VERDICT];
    if (!previous || verdict.remaining < previous.remaining) (req as RequestWithVerdict)[VERDICT] = verdict;
    if (record.isBlocked) {
      this.writeHeaders(res as FastifyReply, verdict);
      throw AppException.tooManyRequests(record.timeToBlockExpire);
    }
    return true;
  }

  private isAuthRoute(context: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<ThrottleScope | undefined>(THROTTLE_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    return scope === 'auth';
  }

  private writeHeaders(reply: FastifyReply, verdict: Verdict): void {
    void reply.header('RateLimit-Limit', String(verdict.limit));
    void reply.header('RateLimit-Remaining', String(verdict.remaining));
    void reply.header('RateLimit-Reset', String(verdict.reset));
  }
}
