import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, type ErrorDetail } from '../errors';

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
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

/** Unknown fields are rejected (API.md) and every failure becomes VALIDATION_FAILED with details. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new AppException('VALIDATION_FAILED', flatten(errors)),
  });
}
