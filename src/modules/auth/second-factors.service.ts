import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { MfaTokenStore } from '../mfa/mfa-token.store';
import { PasskeysService } from '../mfa/passkeys.service';
import { RecoveryCodesService } from '../mfa/recovery-codes.service';
import { TotpService } from '../mfa/totp.service';
import { OtpService } from '../otp/otp.service';
import type { User } from '../users/user.entity';
import type { MfaEmailSentDto, VerifyMfaDto } from './dto/mfa-challenge.dto';

/** A second factor's answer: a code (TOTP, email, recovery) or a passkey assertion. */
export type FactorAnswer = Pick<VerifyMfaDto, 'method' | 'code' | 'response'>;

export interface FactorOutcome {
  recoveryCodesRemaining?: number;
}

/** The second factors a login challenge accepts: sending the email code, passkey options, checking an answer. */
@Injectable()
export class SecondFactors {
  constructor(
    private readonly tokens: MfaTokenStore,
    private readonly totp: TotpService,
    private readonly passkeys: PasskeysService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly otp: OtpService,
  ) {}

  async sendEmailCode(ctx: RequestContext, user: User, address: string): Promise<MfaEmailSentDto> {
    const issued = await this.otp.issue({
      tenantId: user.tenantId,
      purpose: 'mfa_email',
      destination: { channel: 'email', address },
      userId: user.id,
      userLocale: user.locale,
      ctx,
    });
    return { status: 'sent', channel: 'email', expiresIn: issued.expiresIn, resendAfter: issued.resendAfter };
  }

  /** WebAuthn options for the user's passkeys; the challenge is kept under `challengeKey` (single use). */
  passkeyOptions(challengeKey: string, userId: string) {
    return this.passkeys.authenticationOptions(challengeKey, userId);
  }

  /** Where a login challenge keeps its passkey challenge. */
  challengeKeyOf(mfaToken: string): string {
    return this.tokens.challengeKeyOf(mfaToken);
  }

  /**
   * Null for a wrong factor; never throws for one, so every failure is counted the same way.
   * A passkey answers the challenge kept under `challengeKey` by passkeyOptions.
   */
  async check(user: User, input: FactorAnswer, challengeKey: string): Promise<FactorOutcome | null> {
    switch (input.method) {
      case 'totp':
        return input.code && (await this.totp.acceptCode(user.id, input.code, true)) ? {} : null;
      case 'email':
        return input.code && user.email && (await this.emailCodeAccepted(user, user.email, input.code)) ? {} : null;
      case 'recovery_code': {
        const used = input.code ? await this.recoveryCodes.consume(user, input.code) : null;
        return used ? { recoveryCodesRemaining: used.remaining } : null;
      }
      case 'passkey': {
        const challenge = await this.passkeys.takeChallenge(challengeKey);
        if (!challenge || !input.response) return null;
        const verified = await this.passkeys.verifyAssertion(user.tenantId, challenge, input.response, {
          userId: user.id,
        });
        return verified ? {} : null;
      }
    }
  }

  private async emailCodeAccepted(user: User, address: string, code: string): Promise<boolean> {
    try {
      await this.otp.verify({
        tenantId: user.tenantId,
        purpose: 'mfa_email',
        destination: { channel: 'email', address },
        code,
      });
      return true;
    } catch (error) {
      // Wrong, expired or burned codes are all just a wrong second factor here.
      if (error instanceof AppException && (error.code === 'OTP_INVALID' || error.code === 'OTP_EXPIRED')) {
        return false;
      }
      throw error;
    }
  }
}
