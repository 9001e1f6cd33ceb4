import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import { authConfig } from '../../config/auth.config';
import { type AccessTokenClaims, CLOCK_SKEW_SECONDS } from './access-token';
import { AccessTokenService } from './access-token.service';
import { SIGNING_ALGORITHM } from './signing-key.entity';
import { accessTokenOf } from './session-cookies';

export const JWT_STRATEGY = 'jwt';

/**
 * passport keeps strategies in one process-wide registry, so with several applications in
 * one process (tests, embedding) the last 'jwt' registered would verify for all of them.
 * The guard binds its own application's token service to the request it hands to passport.
 */
const tokenServiceOf = new WeakMap<object, AccessTokenService>();

export function bindTokenService(request: object, tokens: AccessTokenService): void {
  tokenServiceOf.set(request, tokens);
}

/**
 * passport-jwt with the key chosen by kid. The key provider runs our own strict
 * verification first (algorithm, forbidden headers, kid, claims), so jsonwebtoken's check
 * that follows is a second opinion, never the only one.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(tokens: AccessTokenService, @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    super({
      jwtFromRequest: (request: FastifyRequest) => accessTokenOf(request)?.token ?? null,
      secretOrKeyProvider: (request: object, rawToken: string, done: (error: unknown, key?: string) => void) => {
        (tokenServiceOf.get(request) ?? tokens).verifyWithKey(rawToken).then(
          ({ publicPem }) => done(null, publicPem),
          (error: unknown) => done(error),
        );
      },
      algorithms: [SIGNING_ALGORITHM],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_SKEW_SECONDS },
    });
  }

  validate(payload: AccessTokenClaims): AccessTokenClaims {
    return payload;
  }
}
