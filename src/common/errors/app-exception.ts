import { HttpException } from '@nestjs/common';
import { ERROR_MESSAGES, ERROR_STATUS, type ErrorCode } from './error-codes';

export interface ErrorDetail {
  field: string;
  message: string;
}

/** The one exception type of the service; the global filter renders it as API.md's error shape. */
export class AppException extends HttpException {
  constructor(
    readonly code: ErrorCode,
    readonly details?: ErrorDetail[],
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers: Record<string, string> = {},
    /** The `error` text, when the code's generic one would leave the caller guessing what to do. */
    message: string = ERROR_MESSAGES[code],
  ) {
    super(message, ERROR_STATUS[code]);
  }

  /** Same code, an `error` text that says what to do (never what would help an attacker). */
  static saying(code: ErrorCode, message: string, details?: ErrorDetail[]) {
    return new AppException(code, details, {}, message);
  }

  static tooManyRequests(
    retryAfterSeconds: number,
    code: 'TOO_MANY_REQUESTS' | 'OTP_RESEND_COOLDOWN' = 'TOO_MANY_REQUESTS',
  ) {
    return new AppException(code, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/** What every error response looks like (API.md "Errors"). */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  requestId: string;
  details?: ErrorDetail[];
}
