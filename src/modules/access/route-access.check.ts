import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '../../common/auth/public.decorator';
import { IS_AUTHENTICATED } from '../../common/http/api-docs';

/** How a route may be reached, as its decorators say: @Public(), or @Authenticated() / @RequirePermissions(). */
export type RouteAccess = 'public' | 'authenticated';

type Target = Parameters<Reflector['getAllAndOverride']>[1][number];

/** The access a route's decorators (on the handler or its controller) declare: none, one, or both. */
export function declaredAccess(reflector: Reflector, handler: Target, controller: Target): RouteAccess[] {
  const declared: RouteAccess[] = [];
  if (reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [handler, controller]) === true) {
    declared.push('public');
  }
  if (reflector.getAllAndOverride<boolean | undefined>(IS_AUTHENTICATED, [handler, controller]) === true) {
    declared.push('authenticated');
  }
  return declared;
}

/**
 * Refuses to start when a route declares no access or both. The global guard would deny an
 * undeclared route anyway; the check makes the mistake a boot failure instead of a 401 found in
 * production, and keeps the Swagger security (set by the same decorators) true for every route.
 */
@Injectable()
export class RouteAccessCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const wrong: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, Target>)[name];
        const isRoute =
          Reflect.getMetadata(PATH_METADATA, handler) !== undefined &&
          Reflect.getMetadata(METHOD_METADATA, handler) !== undefined;
        if (!isRoute) continue;
        const declared = declaredAccess(this.reflector, handler, wrapper.metatype);
        if (declared.length !== 1) wrong.push(`${wrapper.metatype.name}.${name} (${declared.join(' + ') || 'none'})`);
      }
    }
    if (wrong.length > 0) {
      throw new Error(
        `every route must be exactly one of @Public() or @Authenticated()/@RequirePermissions(): ${wrong.join(', ')}`,
      );
    }
  }
}
