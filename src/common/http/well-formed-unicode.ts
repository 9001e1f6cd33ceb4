/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode';

/**
 * Whether `text` is well-formed UTF-16, i.e. has no lone surrogate. JSON allows `"\ud800"`,
 * but such a string is no Unicode text: encodeURI (inside validator's isEmail), TextEncoder
 * and PostgreSQL all reject or mangle it. String.prototype.isWellFormed is not on every Node
 * this runs on, hence the pattern.
 */
export function isWellFormedUnicode(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * Where in a parsed body (or query) the first string value or key that is not well-formed
 * Unicode sits: `''` for the value itself, `a.b.0` for a nested one; undefined when there is
 * none. Iterative, like the depth check that runs before it, so no input can overflow the stack.
 */
export function illFormedStringPath(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (!isWellFormedUnicode(current)) return path;
      continue;
    }
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current)) continue;
    for (const [key, child] of Object.entries(current as Record<string, unknown>)) {
      // A lone surrogate in a key is reported at the key's place, printed harmlessly.
      const shown = isWellFormedUnicode(key) ? key : key.replace(/[\uD800-\uDFFF]/g, '\uFFFD');
      const childPath = path ? `${path}.${shown}` : shown;
      if (shown !== key) return childPath;
      stack.push([child, childPath]);
    }
  }
  return undefined;
}
