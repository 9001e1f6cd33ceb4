import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import { authConfig } from '../../config/auth.config';
import {
  type AccessTokenClaims,
  decodeAccessToken,
  signAccessToken,
  TokenRejected,
  verifyDecodedToken,
} from './access-token';
import { SigningKeysService } from './signing-keys.service';
import { VerifiedTokenCache } from './verified-token-cache';

export type AccessTokenInput = Omit<AccessTokenClaims, 'iss' | 'aud' | 'iat' | 'exp' | 'jti'>;

/** Issues and verifies access tokens (ES256 with node:crypto). */
@Injectable()
export class AccessTokenService {
  private readonly cache = new VerifiedTokenCache();

  constructor(
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async issue(input: AccessTokenInput, ttlSeconds: number): Promise<string> {
    const key = await this.keys.activeKey();
    const iat = this.clock.nowSeconds();
    return signAccessToken(
      { ...input, iss: this.config.jwtIssuer, aud: this.config.jwtAudience, iat, exp: iat + ttlSeconds },
      key,
    );
  }

  /** Claims of a token verified earlier and not yet expired; no cryptography. */
  cached(token: string): AccessTokenClaims | undefined {
    return this.cache.get(token, this.clock.nowSeconds());
  }

  remember(token: string, claims: AccessTokenClaims): void {
    this.cache.set(token, claims, this.clock.nowSeconds());
  }

  /**
   * Full verification: only ES256, a known kid, no key-carrying headers, a valid signature,
   * then iss, aud, exp, nbf and the claims a session needs. TOKEN_EXPIRED or UNAUTHORIZED.
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    const cached = this.cached(token);
    if (cached) return cached;
    const { claims } = await this.verifyWithKey(token);
    this.remember(token, claims);
    return claims;
  }

  /** As verify, also giving the key's PEM (for passport-jwt's second check). */
  async verifyWithKey(token: string): Promise<{ claims: AccessTokenClaims; publicPem: string }> {
    try {
      const decoded = decodeAccessToken(token);
      const key = await this.keys.verificationKey(decoded.header.kid);
      if (!key) throw new TokenRejected('unknown_kid');
      const claims = verifyDecodedToken(decoded, key.publicKey, {
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        nowSeconds: this.clock.nowSeconds(),
      });
      return { claims, publicPem: key.publicPem };
    } catch (error) {
      throw toAppException(error);
    }
  }
}

export function toAppException(error: unknown): unknown {
  if (error instanceof TokenRejected) {
    return new AppException(error.reason === 'expired' ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED');
  }
  return error;
}
