import { Injectable, Logger } from '@nestjs/common';
import { AppException, type ErrorCode } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import type { DurationSample } from '../otp/duration-sample';
import { OtpService } from '../otp/otp.service';
import type { OtpDestination, OtpPurpose } from '../otp/otp.types';

/**
 * Failures of sending a code that must not reach the caller of register / resend / forgot:
 * they happen only for accounts that exist, so answering them would tell an attacker which
 * emails have accounts. The code simply does not arrive; the user can ask again later.
 */
const SILENT_ISSUE_FAILURES = new Set<ErrorCode>([
  'OTP_RESEND_COOLDOWN',
  'TOO_MANY_REQUESTS',
  'DESTINATION_UNDELIVERABLE',
]);

export function emailDestination(address: string): OtpDestination {
  return { channel: 'email', address };
}

/**
 * Mails codes for routes whose answer must not tell an existing account from an unknown
 * email: a real send and a pretend one meet the same limits and fail the same silent way.
 */
@Injectable()
export class QuietCodeSender {
  private readonly logger = new Logger(QuietCodeSender.name);

  constructor(private readonly otp: OtpService) {}

  /**
   * A code for `purpose` that, typed back, names `subjectId` (a user, or the pending
   * registration it activates). True when it went out (false: see SILENT_ISSUE_FAILURES).
   */
  send(
    ctx: RequestContext,
    address: string,
    purpose: OtpPurpose,
    subjectId: string,
    userLocale?: string | null,
  ): Promise<boolean> {
    const destination = emailDestination(address);
    return this.quietly(ctx, purpose, () =>
      this.otp.issue({ tenantId: ctx.tenantId, purpose, destination, userId: subjectId, userLocale, ctx }),
    );
  }

  /**
   * For an email the real path would send nothing to: the same send limits (a second try
   * meets the same cooldown), a decoy code that wrong guesses meet as they would a real one,
   * and, drawn from `like`, the same time since `startedAt`.
   */
  async pretend(
    ctx: RequestContext,
    address: string,
    purpose: OtpPurpose,
    like: DurationSample,
    startedAt: number,
  ): Promise<void> {
    const destination = emailDestination(address);
    await this.quietly(ctx, purpose, () =>
      this.otp.issueWithoutSending({ tenantId: ctx.tenantId, purpose, destination, ctx }, { like, startedAt }),
    );
  }

  private async quietly(ctx: RequestContext, purpose: OtpPurpose, issue: () => Promise<unknown>): Promise<boolean> {
    try {
      await issue();
      return true;
    } catch (error) {
      if (error instanceof AppException && SILENT_ISSUE_FAILURES.has(error.code)) {
        // `reason`, not `code`: a field named code is redacted from every log line (it may be an OTP).
        this.logger.log({ msg: 'code not sent', purpose, reason: error.code, requestId: ctx.requestId });
        return false;
      }
      throw error;
    }
  }
}
