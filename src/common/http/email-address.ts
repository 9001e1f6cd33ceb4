import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, registerDecorator } from 'class-validator';
import { canonicalEmail, EMAIL_MAX_LENGTH } from './canonical-email';

/** True for a string that is already the canonical spelling of an email address. */
function isCanonicalEmail(value: unknown): boolean {
  return typeof value === 'string' && canonicalEmail(value) === value;
}

/**
 * Every email field of every body: the transform writes the canonical spelling, the check
 * refuses what has none. One place, so that no route can let a second spelling of an address
 * in (a duplicate account, a suppressed address written differently).
 */
export function EmailAddress(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (canonicalEmail(value) ?? value) : value,
    ),
    IsString(),
    MaxLength(EMAIL_MAX_LENGTH),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'isCanonicalEmail',
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: 'must be an email' },
        validator: { validate: isCanonicalEmail },
      }),
  );
}
