import { HttpStatus } from '@nestjs/common';

/** Public API (API.md): codes are never renamed, only added. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  TENANT_UNKNOWN: HttpStatus.BAD_REQUEST,
  PASSWORD_BREACHED: HttpStatus.BAD_REQUEST,
  CAPTCHA_REQUIRED: HttpStatus.BAD_REQUEST,
  INVALID_CREDENTIALS: HttpStatus.UNAUTHORIZED,
  OTP_INVALID: HttpStatus.UNAUTHORIZED,
  OTP_EXPIRED: HttpStatus.UNAUTHORIZED,
  TOKEN_EXPIRED: HttpStatus.UNAUTHORIZED,
  UNAUTHORIZED: HttpStatus.UNAUTHORIZED,
  REFRESH_TOKEN_INVALID: HttpStatus.UNAUTHORIZED,
  REFRESH_TOKEN_REUSED: HttpStatus.UNAUTHORIZED,
  MFA_INVALID: HttpStatus.UNAUTHORIZED,
  REAUTH_REQUIRED: HttpStatus.UNAUTHORIZED,
  EMAIL_NOT_VERIFIED: HttpStatus.FORBIDDEN,
  ACCOUNT_RESTRICTED: HttpStatus.FORBIDDEN,
  ACCOUNT_DELETED: HttpStatus.FORBIDDEN,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  CONFLICT: HttpStatus.CONFLICT,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  DESTINATION_UNDELIVERABLE: HttpStatus.UNPROCESSABLE_ENTITY,
  TOO_MANY_REQUESTS: HttpStatus.TOO_MANY_REQUESTS,
  OTP_RESEND_COOLDOWN: HttpStatus.TOO_MANY_REQUESTS,
  SERVICE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL: HttpStatus.INTERNAL_SERVER_ERROR,
} as const satisfies Record<string, HttpStatus>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The `error` text clients see; deliberately generic so it never describes internals. */
export const ERROR_MESSAGES = {
  VALIDATION_FAILED: 'Validation failed',
  TENANT_UNKNOWN: 'Unknown tenant',
  PASSWORD_BREACHED: 'Password found in a data breach',
  CAPTCHA_REQUIRED: 'CAPTCHA required',
  INVALID_CREDENTIALS: 'Invalid credentials',
  OTP_INVALID: 'Wrong code: check it and try again',
  OTP_EXPIRED: 'No live code here: it was already used or expired. Request a new one',
  TOKEN_EXPIRED: 'Access token expired',
  UNAUTHORIZED: 'Unauthorized',
  REFRESH_TOKEN_INVALID: 'Invalid refresh token',
  REFRESH_TOKEN_REUSED: 'Refresh token reused',
  MFA_INVALID: 'Second factor refused: wrong, already used or expired',
  REAUTH_REQUIRED: 'Recent authentication required',
  EMAIL_NOT_VERIFIED: 'Email not verified',
  ACCOUNT_RESTRICTED: 'Account restricted',
  ACCOUNT_DELETED: 'This account was deleted',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  DESTINATION_UNDELIVERABLE: 'Destination undeliverable',
  TOO_MANY_REQUESTS: 'Too many requests',
  OTP_RESEND_COOLDOWN: 'OTP resend cooldown',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  INTERNAL: 'Internal error',
} as const satisfies Record<ErrorCode, string>;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];
