import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, type ErrorDetail } from '../errors';
import { illFormedStringPath, WELL_FORMED_MESSAGE } from './well-formed-unicode';

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // Unique: two constraints of one field may say the same thing (a missing field, for one).
    const own = [...new Set(Object.values(error.constraints ?? {}))].map((message) => ({
      field,
      message: stripProperty(message, error.property),
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function stripProperty(message: string, property: string): string {
  if (message === `property ${property} should not exist`) return 'is not allowed';
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** No DTO nests deeper than this; deeper JSON is an attack on the recursive validators. */
export const MAX_JSON_DEPTH = 32;

/** Iterative, so a hostile body cannot overflow the stack while being measured. */
export function exceedsDepth(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return false;
}

class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (exceedsDepth(value))
      throw new AppException('VALIDATION_FAILED', [{ field: 'body', message: 'nested too deeply' }]);
    // Before any validator sees it: a lone surrogate makes isEmail's encodeURI throw (a 500),
    // and no field of this API has a use for text that is not Unicode.
    if (metadata.type !== 'custom') {
      const path = illFormedStringPath(value);
      if (path !== undefined) {
        throw new AppException('VALIDATION_FAILED', [
          { field: path || metadata.data || metadata.type, message: WELL_FORMED_MESSAGE },
        ]);
      }
    }
    return super.transform(value, metadata);
  }
}

/** Unknown fields are rejected (API.md) and every failure becomes VALIDATION_FAILED with details. */
export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new AppException('VALIDATION_FAILED', flatten(errors)),
  });
}
