import fc from 'fast-check';

/** The parts of an OpenAPI 3 document the fuzzer reads. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  example?: unknown;
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: OpenApiParameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Operation {
  method: string;
  path: string;
  parameters: OpenApiParameter[];
  body?: JsonSchema;
}

export interface FuzzRequest {
  kind: 'valid' | 'mutated' | 'random';
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The raw body sent, already encoded (bytes when it holds invalid UTF-8). */
  body?: string | Buffer;
}

export type Credential = 'none' | 'user' | 'admin' | 'garbage';

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the documents given (the live one and the committed openapi.json), once. */
export function operationsOf(...documents: OpenApiDocument[]): {
  operations: Operation[];
  schemas: Record<string, JsonSchema>;
} {
  const schemas: Record<string, JsonSchema> = {};
  const seen = new Map<string, Operation>();
  for (const document of documents) {
    Object.assign(schemas, document.components?.schemas ?? {});
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(method)) continue;
        const key = `${method} ${path}`;
        if (seen.has(key)) continue;
        seen.set(key, {
          method: method.toUpperCase(),
          path,
          parameters: operation.parameters ?? [],
          body: operation.requestBody?.content?.['application/json']?.schema,
        });
      }
    }
  }
  return { operations: [...seen.values()], schemas };
}

/**
 * Byte sequences no UTF-8 decoder may accept: overlong encodings of '/' and of NUL, a UTF-16
 * surrogate encoded as UTF-8 (CESU-8), a code point past U+10FFFF, stray continuation and
 * invalid lead bytes.
 */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xe0, 0x80, 0xaf]),
  Buffer.from([0xf0, 0x80, 0x80, 0xaf]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0x80]),
  Buffer.from([0xff, 0xfe]),
];

/** Stands for one of INVALID_UTF8 until the request is encoded: a JavaScript string cannot hold invalid UTF-8. */
export const INVALID_UTF8_MARKER = '\uE000invalid-utf8\uE000';

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/** `text` with `inserted` at a position chosen by `at`. */
const insertAt = (text: string, inserted: string, at: number) => {
  const index = at % (text.length + 1);
  return `${text.slice(0, index)}${inserted}${text.slice(index)}`;
};

/**
 * Text that is not what it looks like: lone UTF-16 surrogates (valid JSON, not valid Unicode),
 * NUL and other control characters, invalid UTF-8 on the wire, and mixed-script, confusable,
 * bidi-override and differently normalised spellings of the same address.
 */
export const unicodeTrap: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.string({ maxLength: 12 }), loneSurrogate, fc.nat()).map(([text, unit, at]) => insertAt(text, unit, at)),
  fc.tuple(fc.emailAddress(), loneSurrogate, fc.nat()).map(([email, unit, at]) => insertAt(email, unit, at)),
  fc
    .tuple(fc.emailAddress(), fc.constantFrom('\u0000', '\r\n', '\n', '\u0085', '\u001b', '\u007f', '\u2028'), fc.nat())
    .map(([email, control, at]) => insertAt(email, control, at)),
  fc.tuple(fc.emailAddress(), fc.nat()).map(([email, at]) => insertAt(email, INVALID_UTF8_MARKER, at)),
  fc.tuple(fc.string({ maxLength: 12 }), fc.nat()).map(([text, at]) => insertAt(text, INVALID_UTF8_MARKER, at)),
  fc.constantFrom(
    '\u0430dmin@example.com',
    'admin@ex\u0430mple.com',
    'p\u0430yp\u0430l',
    'ada@ex\u00e4mple.com',
    'ada@exa\u0308mple.com',
    'ada@xn--exmple-cua.com',
    'ada@\uff45xample.com',
    'ADA@EX\u00c4MPLE.COM',
    '\u0130@example.com',
    '\u00df@example.com',
    'a\u200bda@example.com',
    '\ufeffada@example.com',
    'ada@example.com\u202e',
    '\u202etxt.exe',
    '"ada"@example.com',
    '"a\\"b"@example.com',
    'ada@[127.0.0.1]',
    'a\u0301'.repeat(200),
    '\u0000',
    '\ud800\ud800',
    '\udc00\ud800',
  ),
);

/** Strings an attacker tries first: injections, traversal, encodings, extremes. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  unicodeTrap,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uD800',
    '../../../../etc/passwd',
    '..%2F..%2Fetc%2Fpasswd',
    "' OR '1'='1' --",
    '"; DROP TABLE app_user; --',
    '<script>alert(1)</script>',
    '{{7*7}}',
    '${jndi:ldap://127.0.0.1/a}',
    '__proto__',
    'constructor',
    'prototype',
    'null',
    'undefined',
    'NaN',
    '1e309',
    '-0',
    '0x7fffffff',
    '9'.repeat(400),
    'a'.repeat(5000),
    'admin@example.com\r\nBcc: victim@example.com',
    '+1 (555) 010-9999',
    '+4915112345678',
    '123456',
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    '🦄'.repeat(50),
  ),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** Header values fetch can carry (visible ASCII), hostile where the protocol allows. */
const headerText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 }),
  fc.constantFrom('default', 'DEFAULT', 'no-such-tenant', '../default', "default' --", 'a'.repeat(300), ''),
);

export class SchemaArbitraries {
  constructor(private readonly schemas: Record<string, JsonSchema>) {}

  resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let hops = 0; current.$ref && hops < 10; hops++) {
      current = this.schemas[current.$ref.replace('#/components/schemas/', '')] ?? {};
    }
    return current;
  }

  /** Values the schema accepts (or should: formats are approximated, examples included). */
  valid(input: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    if (depth > 6) return fc.constant(null);
    if (schema.allOf) return this.valid(this.merge(schema.allOf), depth + 1);
    const variants = schema.oneOf ?? schema.anyOf;
    if (variants) return fc.oneof(...variants.map((variant) => this.valid(variant, depth + 1)));
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const base = this.byType(schema, depth);
    const withExample = schema.example === undefined ? base : fc.oneof(fc.constant(schema.example), base);
    return schema.nullable ? fc.option(withExample, { nil: null }) : withExample;
  }

  /** A valid value with one thing wrong: a field dropped, added, retyped or a prototype key. */
  mutated(schema: JsonSchema): fc.Arbitrary<unknown> {
    return fc
      .tuple(
        this.valid(schema),
        fc.constantFrom('drop', 'add', 'retype', 'retype', 'proto', 'constructor', 'replace', 'unicode', 'unicode'),
        hostileString,
        hostileValue,
        unicodeTrap,
      )
      .map(([value, how, key, replacement, trap]) => {
        // Every string of an otherwise valid body, email fields included, becomes the trap.
        if (how === 'unicode') return replaceStrings(value, trap);
        if (how === 'replace' || !value || typeof value !== 'object' || Array.isArray(value)) return replacement;
        const record = { ...(value as Record<string, unknown>) };
        const keys = Object.keys(record);
        const target = keys.length > 0 ? keys[key.length % keys.length] : key;
        switch (how) {
          case 'drop':
            delete record[target];
            break;
          case 'add':
            record[key || 'extra'] = replacement;
            break;
          case 'retype':
            record[target] = replacement;
            break;
          case 'proto':
            // A computed key makes an own "__proto__" property, so JSON.stringify sends it.
            return { ...record, ['__proto__']: { polluted: 'yes', roles: ['admin'], isPlatformAdmin: true } };
          case 'constructor':
            return { ...record, constructor: { prototype: { polluted: 'yes', isAdmin: true } } };
        }
        return record;
      });
  }

  private byType(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'string':
        return this.string(schema);
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(this.valid(schema.items ?? {}, depth + 1), { maxLength: 3 });
      case 'object':
      case undefined: {
        if (!schema.properties) return type === 'object' ? fc.constant({}) : fc.jsonValue({ maxDepth: 2 });
        const properties = Object.fromEntries(
          Object.entries(schema.properties).map(([name, property]) => [name, this.valid(property, depth + 1)]),
        );
        return fc.record(properties, { requiredKeys: schema.required ?? [] });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  private string(schema: JsonSchema): fc.Arbitrary<string> {
    switch (schema.format ?? '') {
      case 'email':
        return fc.oneof(fc.emailAddress(), fc.constantFrom('fuzz@example.com', 'someone@example.org'));
      case 'uuid':
        return fc.uuid();
      case 'date-time':
        return fc
          .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((date) => date.toISOString());
      default: {
        const minLength = schema.minLength ?? 0;
        const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 160));
        return fc.string({ minLength, maxLength });
      }
    }
  }

  private merge(parts: JsonSchema[]): JsonSchema {
    const merged: JsonSchema = { type: 'object', properties: {}, required: [] };
    for (const part of parts.map((item) => this.resolve(item))) {
      Object.assign(merged.properties!, part.properties ?? {});
      merged.required!.push(...(part.required ?? []));
    }
    return merged;
  }
}

/** One HTTP request: an operation from the document, filled validly, with a mutation, or at random. */
export function requestArbitrary(
  operations: Operation[],
  arbitraries: SchemaArbitraries,
  credentials: fc.Arbitrary<Credential>,
): fc.Arbitrary<{ request: FuzzRequest; credential: Credential }> {
  const pathSegment = fc.oneof(
    { weight: 3, arbitrary: fc.uuid() },
    fc.constantFrom('me', 'current', '0', '-1', '%2e%2e', '..', 'null', '%00', 'a'.repeat(250)),
    hostileString.map((text) => encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD')) || 'x'),
    // What a lone surrogate, NUL or an overlong '/' look like percent-encoded.
    fc.constantFrom('%ED%A0%80', '%ED%B0%80', '%C0%AF', '%C0%80', '%00', '%uD800', '%FF', 'a%C0%AFb'),
  );
  const perOperation = operations.map((operation) =>
    fc
      .record({
        pathValues: fc.array(pathSegment, { minLength: 4, maxLength: 4 }),
        query: fc.dictionary(
          fc.oneof(
            fc.constantFrom(...queryNames(operation), '__proto__[polluted]', 'constructor[prototype][x]'),
            fc.string({ maxLength: 10 }),
          ),
          fc.oneof(hostileString, fc.integer().map(String)),
          { maxKeys: 3 },
        ),
        payload: bodyArbitrary(operation, arbitraries),
        headers: fc.record(
          {
            'x-tenant-id': headerText,
            'x-request-id': headerText,
            cookie: headerText.map(
              (text) => `sa_access=${encodeURIComponent(text)}; sa_refresh=${encodeURIComponent(text)}`,
            ),
            origin: fc.constantFrom('http://localhost:3000', 'https://evil.example', 'null'),
            'content-type': fc.constantFrom(
              'application/json',
              'application/json; charset=utf-8',
              'text/plain',
              'application/x-www-form-urlencoded',
              'application/xml',
            ),
          },
          { requiredKeys: [] },
        ),
        credential: credentials,
        invalidBytes: fc.nat(),
      })
      .map(({ pathValues, query, payload, headers, credential, invalidBytes }) => {
        const [kind, body] = payload;
        let index = 0;
        const path = operation.path.replace(/\{[^}]+\}/g, () => pathValues[index++ % pathValues.length]);
        const search = encodeInvalidUtf8InUrl(new URLSearchParams(Object.entries(query)).toString(), invalidBytes);
        const sendsBody = !['GET', 'HEAD'].includes(operation.method) && body !== undefined && body !== null;
        const requestHeaders: Record<string, string> = { ...headers };
        if (kind === 'valid') {
          delete requestHeaders['content-type'];
          delete requestHeaders['x-tenant-id'];
        }
        if (sendsBody) requestHeaders['content-type'] ??= 'application/json';
        else delete requestHeaders['content-type'];
        const request: FuzzRequest = {
          kind,
          method: operation.method,
          path: search ? `${path}?${search}` : path,
          headers: requestHeaders,
          body: sendsBody ? encodeInvalidUtf8(JSON.stringify(body), invalidBytes) : undefined,
        };
        return { request, credential };
      }),
  );
  const randomRoute = fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
      segments: fc.array(
        fc.oneof(fc.constantFrom('api', 'auth', 'admin', 'users', 'sessions', 'mfa', 'devices'), pathSegment),
        {
          maxLength: 5,
        },
      ),
      body: fc.option(fc.jsonValue({ maxDepth: 3 }), { freq: 2 }),
      credential: credentials,
    })
    .map(({ method, segments, body, credential }): { request: FuzzRequest; credential: Credential } => {
      const sendsBody = !['GET', 'HEAD', 'OPTIONS'].includes(method) && body !== null;
      return {
        request: {
          kind: 'random',
          method,
          path: `/${segments.join('/')}`,
          headers: sendsBody ? { 'content-type': 'application/json' } : {},
          body: sendsBody ? JSON.stringify(body) : undefined,
        },
        credential,
      };
    });
  return fc.oneof({ weight: 9, arbitrary: fc.oneof(...perOperation) }, { weight: 1, arbitrary: randomRoute });
}

/** A copy of `value` whose every string (keys aside) is `replacement`. */
export function replaceStrings(value: unknown, replacement: string): unknown {
  if (typeof value === 'string') return replacement;
  if (Array.isArray(value)) return value.map((item) => replaceStrings(item, replacement));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceStrings(item, replacement)]));
  }
  return value;
}

/** The JSON text with every INVALID_UTF8_MARKER replaced by invalid UTF-8 bytes (a string when there is none). */
export function encodeInvalidUtf8(text: string, seed: number): string | Buffer {
  const parts = text.split(INVALID_UTF8_MARKER);
  if (parts.length === 1) return text;
  const chunks: Buffer[] = [];
  parts.forEach((part, index) => {
    if (index > 0) chunks.push(INVALID_UTF8[(seed + index) % INVALID_UTF8.length]);
    chunks.push(Buffer.from(part, 'utf8'));
  });
  return Buffer.concat(chunks);
}

/** The same for a URL: the marker, percent-encoded, becomes percent-encoded invalid bytes. */
function encodeInvalidUtf8InUrl(text: string, seed: number): string {
  const parts = text.split(encodeURIComponent(INVALID_UTF8_MARKER));
  return parts.reduce((url, part, index) => {
    const bytes = INVALID_UTF8[(seed + index) % INVALID_UTF8.length];
    return `${url}${[...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')}${part}`;
  });
}

type Payload = [FuzzRequest['kind'], unknown];

function bodyArbitrary(operation: Operation, arbitraries: SchemaArbitraries): fc.Arbitrary<Payload> {
  const random = fc.jsonValue({ maxDepth: 3 }).map((body): Payload => ['random', body]);
  if (!operation.body) return fc.oneof({ weight: 4, arbitrary: fc.constant<Payload>(['valid', undefined]) }, random);
  return fc.oneof(
    { weight: 3, arbitrary: arbitraries.valid(operation.body).map((body): Payload => ['valid', body]) },
    { weight: 3, arbitrary: arbitraries.mutated(operation.body).map((body): Payload => ['mutated', body]) },
    { weight: 1, arbitrary: random },
  );
}

function queryNames(operation: Operation): string[] {
  const names = operation.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
  return names.length > 0 ? names : ['limit'];
}
