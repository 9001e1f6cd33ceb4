import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenService } from './access-token.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { DeviceSessionsService } from './device-sessions.service';
import { JwksController } from './jwks.controller';
import { JwtStrategy } from './jwt.strategy';
import { LiveSessionStore } from './live-session.store';
import { RefreshTokenReader } from './refresh-token.reader';
import { RefreshToken, Session } from './session.entity';
import { SessionRepository } from './session.repository';
import { SessionsController } from './sessions.controller';
import { NewSignInNoticeListener } from './new-sign-in-notice.listener';
import { LiveSessionPublisher } from './live-session-publisher.service';
import { RefreshReuse } from './refresh-reuse.service';
import { SessionAnswers } from './session-answers.service';
import { SessionCaps } from './session-caps.service';
import { SessionIssuer } from './session-issuer.service';
import { SessionLifetimes } from './session-lifetimes.service';
import { SessionQueries } from './session-queries.service';
import { SessionRefresher } from './session-refresher.service';
import { SessionRevoker } from './session-revoker.service';
import { SigningKey } from './signing-key.entity';
import { SigningKeysService } from './signing-keys.service';
import { SessionStepUp } from './session-step-up.service';

@Module({
  imports: [MikroOrmModule.forFeature([Session, RefreshToken, SigningKey]), UsersModule, DevicesModule],
  controllers: [SessionsController, JwksController],
  providers: [
    SigningKeysService,
    AccessTokenService,
    AccessTokenVerifier,
    LiveSessionStore,
    JwtStrategy,
    RefreshTokenReader,
    SessionRepository,
    SessionLifetimes,
    SessionAnswers,
    LiveSessionPublisher,
    SessionRevoker,
    SessionCaps,
    SessionIssuer,
    RefreshReuse,
    SessionRefresher,
    SessionQueries,
    NewSignInNoticeListener,
    DeviceSessionsService,
    SessionStepUp,
  ],
  // The global AccessTokenGuard (app.module) needs the token service and the verifier.
  exports: [
    SessionIssuer,
    SessionRevoker,
    SessionQueries,
    LiveSessionPublisher,
    DeviceSessionsService,
    AccessTokenService,
    AccessTokenVerifier,
    SigningKeysService,
    SessionStepUp,
    // The hosted pages renew an expired access cookie with the refresh cookie (GET /api/auth/page-refresh).
    SessionRefresher,
    RefreshTokenReader,
  ],
})
export class SessionsModule {}
