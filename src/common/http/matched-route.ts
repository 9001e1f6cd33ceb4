import type { FastifyRequest } from 'fastify';

/**
 * The path pattern of the route Fastify matched (`/api/admin/users/:id`), or undefined before
 * routing or for no route. Security decisions ("is this an API route?", "is this the webhook?")
 * read this, never `request.url`: the raw request target may be absolute-form
 * (`http://host/api/…`), carry a query, dot segments or a trailing slash, and still be routed
 * to the same handler.
 */
export function matchedRoute(request: FastifyRequest): string | undefined {
  return request.routeOptions?.url;
}
