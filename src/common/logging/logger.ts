import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/**
 * Every secret-bearing field that could reach a log line, wherever it sits. pino's redact
 * matches paths, so both top-level and nested (request body, headers) forms are listed.
 */
const SECRET_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'otp',
  'code',
  'token',
  'accessToken',
  'refreshToken',
  'mfaToken',
  'secret',
  'recoveryCodes',
  'authorization',
  'cookie',
  'set-cookie',
  'x-twilio-signature',
  'x-secureauth-signature',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  ...SECRET_KEYS.map((key) => `req.headers["${key}"]`),
  ...SECRET_KEYS,
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'secureauth' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Routes Nest's own logging into the same JSON logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.write('error', message, context, trace);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: pino.Level, message: unknown, context?: string, trace?: string): void {
    const fields: Record<string, unknown> = { context };
    if (trace) fields.trace = trace;
    if (message !== null && typeof message === 'object') this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
