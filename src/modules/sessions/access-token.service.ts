import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { authConfig } from '../../config/auth.config';
import { type AccessTokenClaims, signAccessToken } from './access-token';
import { SigningKeysService } from './signing-keys.service';
import { VerifiedTokenCache } from './verified-token-cache';

export type AccessTokenInput = Omit<AccessTokenClaims, 'iss' | 'aud' | 'iat' | 'exp' | 'jti'>;

/**
 * Issues access tokens (ES256 with node:crypto) and remembers the ones this process has verified
 * (JwtStrategy verifies), so a token is checked cryptographically once, not on every request.
 */
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
}
