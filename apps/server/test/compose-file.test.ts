// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose's ${VAR} syntax is what these strings test
import { describe, expect, it } from 'vitest';
import { ComposeError, interpolate, parseComposeFile, schemaErrors } from './compose-file.ts';

describe("Compose's interpolation", () => {
  const env = { SET: 'value', EMPTY: '' };

  it.each([
    ['$SET and ${SET}', 'value and value'],
    ['$$SET and $${SET}', '$SET and ${SET}'],
    ['${UNSET}|$UNSET|${EMPTY}', '||'],
    ['${UNSET:-d} ${EMPTY:-d} ${SET:-d}', 'd d value'],
    ['${UNSET-d} ${EMPTY-d} ${SET-d}', 'd  value'],
    ['${UNSET:+r} ${EMPTY:+r} ${SET:+r}', '  r'],
    ['${UNSET+r} ${EMPTY+r} ${SET+r}', ' r r'],
    ['${UNSET:-${SET}-${UNSET:-x}}', 'value-x'],
    ['cost: 5$ and $1', 'cost: 5$ and $1'],
  ])('turns %j into %j', (text, expected) => {
    expect(interpolate(text, env)).toBe(expected);
  });

  it('refuses a required variable without a value, with its message', () => {
    expect(() => interpolate('${UNSET:?set UNSET please}', env)).toThrow('required variable UNSET is missing a value: set UNSET please');
    expect(() => interpolate('${EMPTY:?needed}', env)).toThrow(ComposeError);
    expect(interpolate('${EMPTY?needed}', env)).toBe('');
  });

  it('refuses malformed references', () => {
    for (const text of ['${SET', '${}', '${1X}', '${SET!x}'])
      expect(() => interpolate(text, env), text).toThrow(/invalid interpolation format/);
  });
});

describe('the Compose Specification schema', () => {
  it('accepts a file with anchors and merge keys, and names each problem of a broken one', () => {
    const model = parseComposeFile(
      `x-base: &base
  image: shop:\${TAG:-latest}
  environment: &env { A: "1" }
services:
  web:
    <<: *base
    environment: { <<: *env, B: "2" }
    ports: ["\${PORT:-8080}:80"]
`,
      {},
    );
    expect(model.services?.web).toEqual({ image: 'shop:latest', environment: { A: '1', B: '2' }, ports: ['8080:80'] });
    expect(schemaErrors(model)).toEqual([]);

    const broken = { ...model, servces: {}, services: { web: { ...model.services?.web, depends_on: { db: { condition: 'started' } } } } };
    const errors = schemaErrors(broken);
    expect(errors).toContainEqual(expect.stringMatching(/^\/: must NOT have additional properties .*servces/));
    expect(errors).toContainEqual(
      expect.stringMatching(/^\/services\/web\/depends_on\/db\/condition: must be equal to one of the allowed values/),
    );
  });
});
