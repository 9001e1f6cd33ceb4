import { Injectable } from '@nestjs/common';

/** What a module that owns a continuation of the sign-in (a `return_to` it recognises) says about it. */
export interface PageContinuation {
  /**
   * Origins the flow's forms may end at: CSP form-action is enforced along a form's whole redirect
   * chain, and a sign-in that goes back to an OIDC authorization ends at the client's redirect URI.
   */
  formOrigins(returnTo: string): Promise<string[]>;
  /** The app the sign-in is for (recorded as the session's `service`), or null. */
  service(returnTo: string): Promise<string | null>;
}

/**
 * Sign-ins that continue elsewhere: modules that own such a continuation (OIDC) register what
 * the pages need to know of it; pages without one keep `form-action 'self'` and no service.
 */
@Injectable()
export class PageContinuations {
  private readonly continuations: PageContinuation[] = [];

  register(continuation: PageContinuation): void {
    this.continuations.push(continuation);
  }

  async formOriginsOf(returnTo: string | undefined): Promise<string[]> {
    if (!returnTo) return [];
    const found = await Promise.all(this.continuations.map((c) => c.formOrigins(returnTo).catch(() => [])));
    return [...new Set(found.flat())];
  }

  async serviceOf(returnTo: string | undefined): Promise<string | null> {
    if (!returnTo) return null;
    for (const continuation of this.continuations) {
      const service = await continuation.service(returnTo).catch(() => null);
      if (service) return service;
    }
    return null;
  }
}
