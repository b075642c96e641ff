import { describe, expect, it } from 'vitest';
import { catalogListInput, catalogProductInput } from './catalog.ts';

describe('catalogListInput', () => {
  it('fills defaults when the input is left out', () => {
    expect(catalogListInput.parse(undefined)).toEqual({ limit: 24 });
  });

  it('trims the search text', () => {
    expect(catalogListInput.parse({ search: '  oak  ' }).search).toBe('oak');
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ minPriceCents: 10, maxPriceCents: 9 }, 'minPriceCents'],
    [{ sort: 'random' }, 'sort'],
    [{ extra: true }, ''],
    [{ search: 'x'.repeat(201) }, 'search'],
  ])('rejects %j at %s', (input, path) => {
    const result = catalogListInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.join('.')).toBe(path);
  });
});

describe('catalogProductInput', () => {
  it.each(['oak-stool-1', 'a', 'x1-2-3'])('accepts the slug %s', (slug) => {
    expect(catalogProductInput.parse({ slug })).toEqual({ slug });
  });

  it.each(['', 'Oak', 'oak--stool', '-oak', 'oak stool', 'x'.repeat(121)])('rejects the slug %j', (slug) => {
    expect(catalogProductInput.safeParse({ slug }).success).toBe(false);
  });
});
