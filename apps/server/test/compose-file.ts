// A compose file read the way Compose reads it, with no Docker installed: YAML (anchors and `<<`
// merge keys), then variables interpolated from an environment, then checked against the Compose
// Specification's JSON schema (vendored in ./compose-spec/, see its README.md) with ajv.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

export type ComposeModel = Record<string, unknown> & { services?: Record<string, Record<string, unknown>> };

const schema = JSON.parse(readFileSync(new URL('./compose-spec/compose-spec.json', import.meta.url), 'utf8')) as object;
// allErrors: a report names every problem, not the first; strict off: the schema carries
// annotations ajv does not know (`deprecated` alongside `$ref` and the like).
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

/** Problems with `model` as the schema sees them (`/services/app1/restart: must be equal to one of …`); empty when valid. */
export function schemaErrors(model: unknown): string[] {
  if (validate(model)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}

/** Why a file cannot be loaded: a required variable without a value, or bad `${…}` syntax. */
export class ComposeError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * `text` with Compose's interpolation applied: `$$` is a `$`; `$VAR` and `${VAR}` its value (empty
 * when unset); `${VAR:-x}` / `${VAR-x}` x when unset or empty / unset; `${VAR:?msg}` / `${VAR?msg}`
 * an error when unset or empty / unset; `${VAR:+x}` / `${VAR+x}` x when set and non-empty / set.
 * The operands are interpolated too, so defaults may nest.
 */
export function interpolate(text: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) return out + text.slice(i);
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const end = closingBrace(text, dollar + 2);
      out += substitute(text.slice(dollar + 2, end), env);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      out += name ? (env[name] ?? '') : '$';
      i = dollar + 1 + (name?.length ?? 0);
    }
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from`, nested `${…}` skipped. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  throw new ComposeError(`invalid interpolation format: unclosed \${ in ${JSON.stringify(text)}`);
}

function substitute(body: string, env: NodeJS.ProcessEnv): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw new ComposeError(`invalid interpolation format: \${${body}}`);
  const operator = /^(:?[-?+])?/.exec(body.slice(name.length))?.[0] ?? '';
  if (name.length + operator.length < body.length && !operator) throw new ComposeError(`invalid interpolation format: \${${body}}`);
  const operand = () => interpolate(body.slice(name.length + operator.length), env);
  const value = env[name];
  const set = value !== undefined;
  const present = set && value !== '';
  switch (operator) {
    case ':-':
      return present ? value : operand();
    case '-':
      return set ? value : operand();
    case ':?':
    case '?':
      if (operator === ':?' ? present : set) return value ?? '';
      throw new ComposeError(`required variable ${name} is missing a value: ${operand()}`);
    case ':+':
      return present ? operand() : '';
    case '+':
      return set ? operand() : '';
    default:
      return value ?? '';
  }
}

/** Every string value of `value` interpolated (keys are names, never interpolated). */
function interpolateValues(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateValues(item, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateValues(item, env)]));
  }
  return value;
}

/** A compose file's text as Compose would load it with `env`; throws ComposeError when it could not. */
export function parseComposeFile(text: string, env: NodeJS.ProcessEnv): ComposeModel {
  const raw: unknown = parse(text, { merge: true });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ComposeError('a compose file is a mapping');
  return interpolateValues(raw, env) as ComposeModel;
}

export const loadComposeFile = (path: string, env: NodeJS.ProcessEnv): ComposeModel => parseComposeFile(readFileSync(path, 'utf8'), env);
