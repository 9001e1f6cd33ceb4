import { AppException } from '../errors';

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

export function decodeCursor(cursor: string | undefined): CursorPosition | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new AppException('VALIDATION_FAILED', [{ field: 'cursor', message: 'is not a valid cursor' }]);
  }
  return { createdAt, id };
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
