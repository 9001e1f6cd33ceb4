import { Injectable } from '@nestjs/common';

/** Origins a page's forms may end up at, for a sign-in that continues somewhere (its `return_to`). */
export type FormTargetResolver = (returnTo: string) => Promise<string[]>;

/**
 * CSP form-action is enforced along a form's whole redirect chain: a sign-in that goes back to an
 * OIDC authorization ends at the client's redirect URI. Modules that own such a continuation
 * (OIDC) register what its chain may reach; every other page keeps `form-action 'self'`.
 */
@Injectable()
export class PageFormTargets {
  private readonly resolvers: FormTargetResolver[] = [];

  register(resolver: FormTargetResolver): void {
    this.resolvers.push(resolver);
  }

  async of(returnTo: string | undefined): Promise<string[]> {
    if (!returnTo) return [];
    const found = await Promise.all(this.resolvers.map((resolve) => resolve(returnTo).catch(() => [])));
    return [...new Set(found.flat())];
  }
}
