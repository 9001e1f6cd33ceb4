import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
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

type LogMethod = 'info' | 'error' | 'debug' | 'fatal' | 'warn' | 'trace';

/**
 * Fastify makes a child logger (bound to the request id) for every request. With redaction on,
 * pino serialises the bindings at once, which cost ~4 % of a GET /me; almost no request ever
 * logs, so the child is made on the first line written instead.
 */
class LazyChildLogger {
  private logger?: FastifyBaseLogger;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: pino.Bindings,
    /** The route's own level, when it has one. */
    private readonly routeLevel?: string,
  ) {}

  private get target(): FastifyBaseLogger {
    return (this.logger ??= this.parent.child(this.bindings, this.routeLevel ? { level: this.routeLevel } : undefined));
  }

  get level(): string {
    return this.logger?.level ?? this.routeLevel ?? this.parent.level;
  }
  set level(level: string) {
    this.target.level = level;
  }
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): FastifyBaseLogger {
    return this.target.child(bindings, options);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  private write(level: LogMethod, args: unknown[]): void {
    if (pino.levels.values[level] < pino.levels.values[this.level]) return;
    Reflect.apply(this.target[level], this.target, args);
  }
}

/** Fastify's `childLoggerFactory`: a per-request logger that costs nothing until it writes. */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: pino.Bindings,
  options: pino.ChildLoggerOptions,
): FastifyBaseLogger {
  // Fastify passes the route's level on every request (empty when the route has none).
  const { level, ...rest } = options;
  if (Object.keys(rest).length > 0) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, level || undefined) as unknown as FastifyBaseLogger;
}
