import { describe, expect, it } from 'vitest';
import { batched } from './batched.ts';

describe('batched', () => {
  it('answers the keys asked for in one tick with one load per chunk, and each caller its own value', async () => {
    const loads: string[][] = [];
    const load = batched(async (keys) => {
      loads.push(keys);
      return new Map(keys.filter((k) => k !== 'gone').map((k) => [k, k.toUpperCase()]));
    }, 2);
    const answers = await Promise.all(['a', 'b', 'a', 'gone', 'c'].map(load));
    expect(answers).toEqual(['A', 'B', 'A', undefined, 'C']);
    // Distinct keys only, at most two per load.
    expect(loads).toEqual([
      ['a', 'b'],
      ['gone', 'c'],
    ]);
    // The next tick is a new batch.
    expect(await load('d')).toBe('D');
    expect(loads).toHaveLength(3);
  });

  it('fails every caller of a chunk whose load fails, and only those', async () => {
    const load = batched(async (keys) => {
      if (keys.includes('bad')) throw new Error('database down');
      return new Map(keys.map((k) => [k, 1]));
    }, 1);
    const [ok, bad] = await Promise.allSettled([load('ok'), load('bad')]);
    expect(ok).toEqual({ status: 'fulfilled', value: 1 });
    expect(bad).toMatchObject({ status: 'rejected', reason: new Error('database down') });
  });
});
