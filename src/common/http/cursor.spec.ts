import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor } from './cursor';

const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

describe('cursor', () => {
  it('should decode what it encodes', () => {
    const position = { createdAt: new Date('2026-03-04T05:06:07.089Z'), id: randomUUID() };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['a year before 0001', `-200000-01-01T00:00:00.000Z|${randomUUID()}`],
    ['a year past 9999', `+275760-09-13T00:00:00.000Z|${randomUUID()}`],
    ['an id of 36 dashes', `2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`],
    ['an id that is not a UUID', `2026-01-01T00:00:00.000Z|${'f'.repeat(36)}`],
    ['a date that does not exist', `2026-02-31T00:00:00.000Z|${randomUUID()}`],
    ['a date in another format', `Tue, 01 Jan 2030 00:00:00 GMT|${randomUUID()}`],
    ['a third part', `2026-01-01T00:00:00.000Z|${randomUUID()}|x`],
    ['no id', '2026-01-01T00:00:00.000Z'],
    ['garbage', 'not-a-cursor'],
  ])('should refuse %s with VALIDATION_FAILED', (_case, text) => {
    expect(() => decodeCursor(cursorOf(text))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
