import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { Passkey } from './entities/passkey.entity';
import { RecoveryCode } from './entities/recovery-code.entity';
import { UserMfa } from './entities/user-mfa.entity';
import { MfaAttemptsService } from './mfa-attempts.service';
import { MfaTokenStore } from './mfa-token.store';
import { MfaController } from './mfa.controller';
import { MfaService } from './mfa.service';
import { PasskeysService } from './passkeys.service';
import { RecoveryCodesService } from './recovery-codes.service';
import { TotpService } from './totp.service';

@Module({
  imports: [MikroOrmModule.forFeature([UserMfa, Passkey, RecoveryCode]), SessionsModule],
  controllers: [MfaController],
  providers: [MfaService, TotpService, PasskeysService, RecoveryCodesService, MfaTokenStore, MfaAttemptsService],
  exports: [MfaService, TotpService, PasskeysService, RecoveryCodesService, MfaTokenStore, MfaAttemptsService],
})
export class MfaModule {}
