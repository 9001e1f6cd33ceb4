import { Module } from '@nestjs/common';

/**
 * The flows that combine the domain modules: password accounts, passwordless OTP login,
 * the MFA login challenge. Each flow is one controller + one service in this folder.
 */
@Module({
  imports: [],
  controllers: [],
  providers: [],
})
export class AuthModule {}
