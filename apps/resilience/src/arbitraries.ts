// Inputs for fuzzing, from each procedure's zod schema (through its JSON Schema) and beyond it.
import { COUNTRY_CODES } from '@shop/schemas';
import fc from 'fast-check';
import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: JsonSchema;
};

/** The JSON Schema of what a zod schema accepts as input; transforms and refinements are left out. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** Strings people (and attackers) type: unicode of every plane, markup, SQL, control characters. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uFEFF',
    '\uD800',
    '\u202E\u0644\u0627',
    '𝕊𝕙𝕠𝕡 🛒👩‍👩‍👧‍👦',
    "' OR 1=1 --",
    "'; drop table users; --",
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    // Template syntax of other engines, meant literally.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the payload
    '{{7*7}}${7*7}',
    '../../../../etc/passwd',
    '%00%2e%2e%2f',
    'null',
    'undefined',
    'NaN',
    '__proto__',
    'constructor',
    'lobby',
    'support:00000000-0000-0000-0000-000000000000',
  ),
);

const hugeString = fc.constantFrom(10_000, 99_000, 120_000).map((n) => 'x'.repeat(n));

/** A value of any JSON type, including the edge numbers JSON can carry. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, '', '1', '-1', '1e999', [], {}),
  nastyString,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.jsonValue({ maxDepth: 3 }),
);

function fromString(s: JsonSchema, key: string | undefined): fc.Arbitrary<string> {
  if (key === 'country') return fc.constantFrom(...COUNTRY_CODES, 'de', 'XX', 'DEU');
  if (key === 'email') return fc.oneof(fc.emailAddress(), fc.string({ maxLength: 30 }));
  if (s.format === 'uuid') return fc.uuid();
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 300, 300);
  if (s.pattern) {
    // Sized small and cut to the longest allowed, not filtered on length: inside an array the size
    // grows, an unbounded `*` then yields ever longer strings, and such a filter never passes.
    return fc
      .stringMatching(new RegExp(s.pattern), { size: 'small' })
      .map((v) => v.slice(0, s.maxLength ?? Number.POSITIVE_INFINITY))
      .filter((v) => v.length >= minLength);
  }
  return fc.oneof(fc.string({ minLength, maxLength }), fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, 40) }));
}

/** Values the schema describes (valid-ish: zod's refinements, such as min ≤ max, are not in JSON Schema). */
export function fromSchema(s: JsonSchema, key?: string): fc.Arbitrary<unknown> {
  if (s.anyOf) return fc.oneof(...s.anyOf.map((a) => fromSchema(a, key)));
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = fromSchema(v, k);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
    case 'string':
      return fromString(s, key);
    case 'integer': {
      const min = s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? -(2 ** 31));
      const max = s.maximum ?? 2 ** 31;
      // Small values find real rows (product 3, message 1); the bounds find edge cases.
      return fc.oneof(
        fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }),
        fc.constantFrom(min, max),
        // Anywhere in the range, not a filter on every safe integer: nested in an array fast-check
        // biases less toward small values, and a narrow range then almost never passes such a filter.
        fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) }),
      );
    }
    case 'number':
      return fc.double({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(s.items ? fromSchema(s.items) : anyJson, { maxLength: 5 });
    case 'null':
      return fc.constant(null);
    default:
      return anyJson;
  }
}

/** A valid-ish object with one thing wrong: a field of the wrong type, a missing or an unknown key. */
export function broken(s: JsonSchema): fc.Arbitrary<unknown> {
  const valid = fromSchema(s);
  const keys = Object.keys(s.properties ?? {});
  const wrongValue = fc.oneof(anyJson, hugeString, nastyString, deepNesting(50));
  const variants: fc.Arbitrary<unknown>[] = [
    // An unknown key, among them the ones that pollute prototypes in naive merges.
    fc
      .tuple(valid, fc.constantFrom('__proto__', 'constructor', 'prototype', 'isAdmin', 'role', 'userId', ''), wrongValue)
      .map(([v, k, w]) => (typeof v === 'object' && v !== null ? { ...v, [k]: w } : { [k]: w })),
  ];
  if (keys.length > 0) {
    variants.push(
      fc.tuple(valid, fc.constantFrom(...keys), wrongValue).map(([v, k, w]) => ({ ...(v as object), [k]: w })),
      fc.tuple(valid, fc.constantFrom(...keys)).map(([v, k]) => {
        const copy: Record<string, unknown> = { ...(v as object) };
        delete copy[k];
        return copy;
      }),
    );
  }
  return fc.oneof(...variants);
}

/** `[[[…]]]` or `{"a":{"a":…}}` this deep. */
export function deepNesting(depth: number): fc.Arbitrary<unknown> {
  return fc.boolean().map((arrays) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
    return v;
  });
}

/** A JSON text with `__proto__` as an own key (JSON.stringify would drop it from an object literal). */
export const pollutingJson = fc.constantFrom(
  '{"__proto__":{"polluted":"yes","role":"staff","isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"0":{"__proto__":{"polluted":"yes"}}}',
  '{"json":{"__proto__":{"polluted":"yes"}}}',
);

/** Bodies that are not the JSON they claim to be. */
export const malformedBody = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    '{"a":1}}',
    'undefined',
    "{'a':1}",
    '{"a":1,}',
    '\u0000',
    '\uFEFF{}',
    'null',
    '""',
    '[]',
    '1e99999',
    '{"a":"\\ud800"}',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 1000, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 1000, max: 20_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc.constantFrom(101 * 1024, 300 * 1024).map((n) => `{"text":"${'y'.repeat(n)}"}`),
);

const hex = (b: number) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`;

/**
 * A session cookie value the codec must read as no session (never a 5xx): bad percent escapes,
 * escapes of invalid UTF-8, seal look-alikes, quotes and separators, Latin-1 bytes, oversized.
 * Bounded to what fits in a request head; only characters Node lets a client put in a header.
 */
export const hostileCookieValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '%', '%E0%A4%A', '%FF%FE', '%00', '%C0%AF', 'Fe26.2**', 'Fe26.2*1*a*b*c*d*e*f*g', '"quoted"', '=', '%%%%', '\\'),
  // Random bytes percent-escaped, sometimes cut inside an escape.
  fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }), fc.integer({ min: 0, max: 2 })).map(([bytes, cut]) =>
    bytes
      .map(hex)
      .join('')
      .slice(0, bytes.length * 3 - cut),
  ),
  // A seal's shape with random parts.
  fc.array(fc.base64String({ maxLength: 60 }), { minLength: 1, maxLength: 8 }).map((parts) => `Fe26.2*${parts.join('*')}`),
  // Printable ASCII and Latin-1, separators included.
  fc.string({
    unit: fc
      .integer({ min: 0x21, max: 0xff })
      .filter((c) => c < 0x7f || c > 0x9f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 200,
  }),
  fc.integer({ min: 4_000, max: 9_000 }).map((n) => 'A'.repeat(n)),
);

/** Where a hostile session cookie goes: instead of the persona's, or beside it under the same name. */
export const hostileCookie = fc.record({ value: hostileCookieValue, place: fc.constantFrom('instead', 'before', 'after') });

/** The Cookie header carrying `hostile`, given the persona's own cookie ('' for a guest). */
export function cookieHeader(own: string, hostile: { value: string; place: 'instead' | 'before' | 'after' }): string {
  const bad = `shop_session=${hostile.value}`;
  if (hostile.place === 'instead' || !own) return bad;
  return hostile.place === 'before' ? `${bad}; ${own}` : `${own}; ${bad}`;
}
