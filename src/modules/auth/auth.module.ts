import { Module } from '@nestjs/common';
import { BreachedPasswordsService } from './breached-passwords.service';
import { SignInService } from './sign-in.service';
import { CaptchaModule } from '../captcha/captcha.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { MfaModule } from '../mfa/mfa.module';
import { OtpModule } from '../otp/otp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SignInRiskModule } from '../sign-in-risk/sign-in-risk.module';
import { UsersModule } from '../users/users.module';
import { MfaChallengeController } from './mfa-challenge.controller';
import { MfaChallengeService } from './mfa-challenge.service';
import { OtpLoginController } from './otp-login.controller';
import { OtpLoginService } from './otp-login.service';
import { PasskeyLoginController } from './passkey-login.controller';
import { ReauthenticationController } from './reauthentication.controller';
import { ReauthenticationService } from './reauthentication.service';
import { PasskeyLoginService } from './passkey-login.service';
import { PasswordAuthController } from './password-auth.controller';
import { EmailVerificationService } from './email-verification.service';
import { LoginMetricsListener } from './login-metrics.listener';
import { LoginFailureBudget } from './login-failure-budget.service';
import { NewPasswordPolicy } from './new-password.service';
import { PasswordChangeService } from './password-change.service';
import { PasswordLoginService } from './password-login.service';
import { PasswordRecoveryService } from './password-recovery.service';
import { PasswordReplacer } from './password-replacer.service';
import { QuietCodeSender } from './quiet-code-sender.service';
import { RegistrationActivation } from './registration-activation.service';
import { OtpDestinations } from './otp-destinations.service';
import { OtpLoginAccounts } from './otp-login-accounts.service';
import { SecondFactors } from './second-factors.service';
import { SignUpService } from './sign-up.service';

/**
 * The flows that combine the domain modules: password accounts, passwordless OTP login,
 * the MFA login challenge. Each flow is one controller + one service in this folder.
 */
@Module({
  imports: [CaptchaModule, DeliveryModule, MfaModule, OtpModule, SessionsModule, SignInRiskModule, UsersModule],
  // In this order in the OpenAPI document: sign up, password sign-in, codes, then the second factor and passkeys.
  controllers: [
    PasswordAuthController,
    OtpLoginController,
    MfaChallengeController,
    PasskeyLoginController,
    ReauthenticationController,
  ],
  providers: [
    BreachedPasswordsService,
    ReauthenticationService,
    SignInService,
    SecondFactors,
    MfaChallengeService,
    PasskeyLoginService,
    LoginMetricsListener,
    LoginFailureBudget,
    QuietCodeSender,
    NewPasswordPolicy,
    PasswordReplacer,
    RegistrationActivation,
    SignUpService,
    EmailVerificationService,
    PasswordLoginService,
    PasswordRecoveryService,
    PasswordChangeService,
    OtpDestinations,
    OtpLoginAccounts,
    OtpLoginService,
  ],
  // The flows the hosted pages put forms in front of.
  exports: [
    SignUpService,
    EmailVerificationService,
    PasswordLoginService,
    PasswordRecoveryService,
    MfaChallengeService,
    OtpLoginService,
    ReauthenticationService,
    PasskeyLoginService,
    PasswordChangeService,
  ],
})
export class AuthModule {}
