import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
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
import { SessionsService } from './sessions.service';
import { SigningKey } from './signing-key.entity';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [
    MikroOrmModule.forFeature([Session, RefreshToken, SigningKey]),
    PassportModule.register({ session: false }),
    UsersModule,
    DevicesModule,
  ],
  controllers: [SessionsController, JwksController],
  providers: [
    SigningKeysService,
    AccessTokenService,
    AccessTokenVerifier,
    LiveSessionStore,
    JwtStrategy,
    RefreshTokenReader,
    SessionRepository,
    SessionsService,
    DeviceSessionsService,
  ],
  // The global AccessTokenGuard (app.module) needs the token service and the verifier.
  exports: [SessionsService, DeviceSessionsService, AccessTokenService, AccessTokenVerifier, SigningKeysService],
})
export class SessionsModule {}
