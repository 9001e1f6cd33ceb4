import { type EntityManager, RequestContext } from '@mikro-orm/core';
import type { FastifyInstance } from 'fastify';
import type { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A request's EntityManager, forked on first use. Forking (identity map, unit of work) cost
 * ~3 % of a GET /me, which never touches PostgreSQL; routes that do get the same fork as
 * before, for the whole request.
 */
class LazyForks extends Map<string, EntityManager> {
  /** Forking itself asks for the context's EntityManager; while it runs, there is none yet. */
  private forking = false;

  constructor(private readonly root: EntityManager) {
    super();
  }

  override get(name: string): EntityManager | undefined {
    const existing = super.get(name);
    if (existing || this.forking || name !== this.root.name) return existing;
    this.forking = true;
    try {
      const fork = this.root.fork({ useContext: true, disableContextResolution: true });
      this.set(name, fork);
      return fork;
    } finally {
      this.forking = false;
    }
  }
}

/**
 * Gives every HTTP request its own identity map, as @mikro-orm/nestjs's middleware would, but
 * as a plain Fastify hook: Nest's middleware layer (middie) is then not on the request path.
 */
export function registerRequestContext(fastify: FastifyInstance, em: EntityManager): void {
  // `RequestContext.create` always forks; its storage is the one the ORM reads (version pinned).
  const { storage } = RequestContext as unknown as { storage: AsyncLocalStorage<RequestContext> };
  fastify.addHook('onRequest', (_request, _reply, done) => {
    storage.run(new RequestContext(new LazyForks(em)), done);
  });
}
