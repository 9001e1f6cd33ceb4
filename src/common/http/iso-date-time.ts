import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsDate } from 'class-validator';

/**
 * `YYYY-MM-DD`, or a date and time with seconds, fraction and a zone optional but the zone
 * required with a time (a time without one means the server's local time, which nobody wants).
 */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2})))?$/;

/** PostgreSQL holds more, JavaScript less; four-digit years are what both agree on and all anyone needs. */
export const EARLIEST_DATE = new Date('0001-01-01T00:00:00.000Z').getTime();
export const LATEST_DATE = new Date('9999-12-31T23:59:59.999Z').getTime();

export const ISO_DATE_TIME_MESSAGE = 'must be an ISO 8601 date-time with a zone, in the years 0001 to 9999';

/**
 * The instant an ISO 8601 text names, or undefined when it is malformed, names no real day
 * (2026-02-31) or lies outside the years 0001–9999. `new Date()` alone accepts far more
 * (`-200000-01-01`, `+275760-09-13`, RFC 2822 dates, bare numbers) and PostgreSQL then fails
 * on what it cannot store.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = match;
  if (hour !== undefined && zulu === undefined && sign === undefined) return undefined;
  const fields = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour ?? 0),
    minute: Number(minute ?? 0),
    second: Number(second ?? 0),
    millisecond: Number((fraction ?? '').padEnd(3, '0').slice(0, 3)),
  };
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter reads years 0–99 as 1900–1999.
  date.setUTCFullYear(fields.year, fields.month - 1, fields.day);
  date.setUTCHours(fields.hour, fields.minute, fields.second, fields.millisecond);
  const roundTrips =
    date.getUTCFullYear() === fields.year &&
    date.getUTCMonth() === fields.month - 1 &&
    date.getUTCDate() === fields.day &&
    date.getUTCHours() === fields.hour &&
    date.getUTCMinutes() === fields.minute &&
    date.getUTCSeconds() === fields.second;
  if (!roundTrips) return undefined;
  if (sign !== undefined) {
    const hours = Number(offsetHours);
    const minutes = Number(offsetMinutes);
    if (hours > 23 || minutes > 59) return undefined;
    date.setTime(date.getTime() - (sign === '+' ? 1 : -1) * (hours * 60 + minutes) * 60_000);
  }
  const time = date.getTime();
  return time >= EARLIEST_DATE && time <= LATEST_DATE ? date : undefined;
}

/** A date-time query parameter: parsed strictly into a Date, or VALIDATION_FAILED. */
export function IsoDateTimeQuery(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (parseIsoDateTime(value) ?? value) : value,
    ),
    IsDate({ message: ISO_DATE_TIME_MESSAGE }),
  );
}
