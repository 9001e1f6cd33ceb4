import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { AppException, type ErrorBody } from './app-exception';
import { ERROR_MESSAGES, ERROR_STATUS, type ErrorCode } from './error-codes';
import { isDependencyDown } from './dependency-errors';

export interface RenderedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

const logger = new Logger('Errors');

const CODE_BY_HTTP_STATUS: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.FORBIDDEN]: 'FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'NOT_FOUND',
  [HttpStatus.CONFLICT]: 'CONFLICT',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'VALIDATION_FAILED',
  [HttpStatus.TOO_MANY_REQUESTS]: 'TOO_MANY_REQUESTS',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'SERVICE_UNAVAILABLE',
};

/** Fastify's own request errors (before any handler runs), by their code. */
const CODE_BY_FASTIFY_ERROR: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'NOT_FOUND',
  FST_ERR_MAX_PARAM_LENGTH: 'NOT_FOUND',
  FST_ERR_ASYNC_CONSTRAINT: 'VALIDATION_FAILED',
};

function classify(error: unknown): { code: ErrorCode; appException?: AppException } {
  if (error instanceof AppException) return { code: error.code, appException: error };
  if (error instanceof ThrottlerException) return { code: 'TOO_MANY_REQUESTS' };
  if (error instanceof HttpException) {
    return {
      code: CODE_BY_HTTP_STATUS[error.getStatus()] ?? (error.getStatus() >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED'),
    };
  }
  if (isDependencyDown(error)) return { code: 'SERVICE_UNAVAILABLE' };
  const fastifyCode = (error as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in CODE_BY_FASTIFY_ERROR) {
    return { code: CODE_BY_FASTIFY_ERROR[fastifyCode] };
  }
  // JSON.parse failures from the body parser carry a 4xx statusCode and no code.
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  if (isSyntaxError(error) && statusCode === 400) return { code: 'VALIDATION_FAILED' };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { code: CODE_BY_HTTP_STATUS[statusCode] ?? 'VALIDATION_FAILED' };
  }
  return { code: 'INTERNAL' };
}

/**
 * Turns anything thrown anywhere into API.md's error shape. Only AppException details are
 * passed on; no other error text ever reaches the client.
 */
export function renderError(error: unknown, requestId: string): RenderedError {
  const { code, appException } = classify(error);
  const status: number = ERROR_STATUS[code];
  if (code === 'INTERNAL') {
    logger.error({ msg: 'unexpected error', requestId, err: serializeError(error) });
  } else if (code === 'SERVICE_UNAVAILABLE') {
    logger.warn({ msg: 'dependency unavailable', requestId, err: serializeError(error) });
  }
  const body: ErrorBody = { statusCode: status, code, error: appException?.message ?? ERROR_MESSAGES[code], requestId };
  if (appException?.details) body.details = appException.details;
  if (code === 'VALIDATION_FAILED' && !body.details)
    body.details = [{ field: 'body', message: describeBadRequest(error) }];
  const headers = { ...(appException?.headers ?? {}) };
  if (status === 429 && !headers['Retry-After']) headers['Retry-After'] = '60';
  return { status, body, headers };
}

function describeBadRequest(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'body must not be empty';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || isSyntaxError(error)) return 'malformed JSON';
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return 'content length does not match the body';
  if (/prototype|constructor/i.test((error as Error)?.message ?? '')) return 'forbidden key in JSON';
  return 'invalid request';
}

/** By name, not instanceof: the parser may run in another realm (jest's sandbox, workers). */
function isSyntaxError(error: unknown): boolean {
  return (error as { name?: unknown })?.name === 'SyntaxError';
}

function serializeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
