import type { EntityManager, EntityName, FilterQuery, QueryOrderMap } from '@mikro-orm/postgresql';
import { AppException } from '../errors';
import { parseIsoDateTime } from './iso-date-time';

/**
 * Keyset pagination over (createdAt, id), newest first: stable under concurrent inserts
 * because a page never depends on an offset.
 */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.createdAt.toISOString()}|${position.id}`).toString('base64url');
}

/** Exactly what encodeCursor writes: a UTC timestamp to the millisecond and a UUID. */
const CURSOR_PATTERN =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * A cursor is opaque to clients but comes back from them: anything but the exact shape we
 * hand out (a year PostgreSQL cannot store, an id of 36 dashes) is VALIDATION_FAILED here,
 * never a query error later.
 */
export function decodeCursor(cursor: string | undefined): CursorPosition | undefined {
  if (!cursor) return undefined;
  const match = CURSOR_PATTERN.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const createdAt = match ? parseIsoDateTime(match[1]) : undefined;
  if (!match || !createdAt) {
    throw new AppException('VALIDATION_FAILED', [{ field: 'cursor', message: 'is not a valid cursor' }]);
  }
  return { createdAt, id: match[2].toLowerCase() };
}

/**
 * The filter for "strictly older than the cursor" in newest-first order. The redundant
 * `createdAt <= cursor` bound lets PostgreSQL use the (…, created_at, id) index as a range
 * scan; without it the OR makes deep pages scan from the top.
 */
export function olderThan(position: CursorPosition | undefined): Record<string, unknown> {
  if (!position) return {};
  return {
    createdAt: { $lte: position.createdAt },
    $or: [{ createdAt: { $lt: position.createdAt } }, { createdAt: position.createdAt, id: { $lt: position.id } }],
  };
}

/** Fetch limit + 1 rows; the extra row only says whether there is a next page. */
export function toPage<T extends CursorPosition, R>(rows: T[], limit: number, map: (row: T) => R) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

/**
 * One page of a keyset-paginated listing: the rows `where` selects that are older than the
 * cursor, newest first, mapped to what the route answers (`{items, nextCursor}`).
 */
export async function findPage<T extends CursorPosition & object, R>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  page: { limit: number; cursor?: string },
  map: (row: T) => R,
) {
  // MikroORM cannot see through the generic T that it has createdAt and id: the filter and the
  // order are spelled for CursorPosition, which T extends.
  const older = olderThan(decodeCursor(page.cursor)) as FilterQuery<T>;
  const newestFirst: QueryOrderMap<CursorPosition> = { createdAt: 'desc', id: 'desc' };
  const rows = await em.find(entity, { $and: [where, older] } as FilterQuery<T>, {
    orderBy: newestFirst as QueryOrderMap<T>,
    limit: page.limit + 1,
  });
  return toPage(rows, page.limit, map);
}
