import type { AccessTokenClaims } from './access-token';

/**
 * Tokens whose signature and claims were already checked, keyed by the exact token string,
 * so repeat requests skip the ES256 verification. Bounded (least recently used goes first)
 * and an entry dies at the token's `exp`. The live-session check is never cached.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AccessTokenClaims>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, nowSeconds: number): AccessTokenClaims | undefined {
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    this.entries.delete(token);
    if (claims.exp <= nowSeconds) return undefined;
    // Re-inserting moves the entry to the young end of the Map's insertion order.
    this.entries.set(token, claims);
    return claims;
  }

  set(token: string, claims: AccessTokenClaims, nowSeconds: number): void {
    if (claims.exp <= nowSeconds) return;
    this.entries.delete(token);
    this.entries.set(token, claims);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
