import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { JsonWebTokenError } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import { authConfig } from '../../config/auth.config';
import { type AccessTokenClaims, checkSessionClaims, decodeAccessToken, TokenRejected } from './access-token';
import { SigningKeysService } from './signing-keys.service';
import { SIGNING_ALGORITHM } from './signing-key.entity';
import { accessTokenOf } from './session-cookies';

export const JWT_STRATEGY = 'jwt';

/** What passport hands a strategy for one authentication attempt (passport's own middleware does the same). */
interface Attempt {
  success(claims: AccessTokenClaims): void;
  fail(reason: unknown): void;
  error(error: unknown): void;
}

/**
 * The one verification of an access token, by passport-jwt: the key provider refuses what no
 * signature should be checked for (another algorithm, key-carrying headers, an unknown kid) and
 * picks the key by kid; jsonwebtoken checks the ES256 signature, issuer and audience; `validate`
 * checks the claims a session needs and the lifetime by the service's Clock (the time every
 * other decision here uses, and the one tests move).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    keys: SigningKeysService,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    super({
      jwtFromRequest: (request: FastifyRequest) => accessTokenOf(request)?.token ?? null,
      secretOrKeyProvider: (_request: object, rawToken: string, done: (error: unknown, key?: string) => void) => {
        let kid: string;
        try {
          kid = decodeAccessToken(rawToken).header.kid;
        } catch (error) {
          return done(error instanceof TokenRejected ? new AppException('UNAUTHORIZED') : error);
        }
        keys.verificationKey(kid).then(
          (key) => done(key ? null : new AppException('UNAUTHORIZED'), key?.publicPem),
          // PostgreSQL down while loading keys is not a bad token: it surfaces as 503, never as a pass.
          (error: unknown) => done(error),
        );
      },
      algorithms: [SIGNING_ALGORITHM],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ignoreExpiration: true,
      jsonWebTokenOptions: { ignoreNotBefore: true },
    });
  }

  validate(payload: Record<string, unknown>): AccessTokenClaims {
    try {
      return checkSessionClaims(payload, this.clock.nowSeconds());
    } catch (error) {
      throw error instanceof TokenRejected && error.reason === 'expired'
        ? new AppException('TOKEN_EXPIRED')
        : new AppException('UNAUTHORIZED');
    }
  }

  /**
   * Runs this strategy for one request, as passport's middleware would, and answers with the
   * claims or the error to throw: our own AppException as it is, any token jsonwebtoken refused
   * as UNAUTHORIZED, anything else (an infrastructure failure) unchanged.
   */
  verify(request: FastifyRequest): Promise<AccessTokenClaims> {
    return new Promise((resolve, reject) => {
      const attempt = Object.create(this) as JwtStrategy & Attempt;
      attempt.success = resolve;
      attempt.error = reject;
      attempt.fail = (reason: unknown) => {
        if (reason instanceof JsonWebTokenError) reject(new AppException('UNAUTHORIZED'));
        else if (reason instanceof Error) reject(reason);
        else reject(new AppException('UNAUTHORIZED'));
      };
      // passport's types speak Express; passport-jwt reads only headers and cookies through our extractor.
      attempt.authenticate(request as unknown as Parameters<Strategy['authenticate']>[0], {});
    });
  }
}
