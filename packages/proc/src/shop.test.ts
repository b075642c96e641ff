import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from './process.ts';
import { shopInstance } from './shop.ts';

afterEach(() => stopAll());

// A bad variable stops the server before it touches a database, so this needs none.
const BAD_ENV = { PORT: 'eighty', DB_POOL_MAX: '0', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

describe('shop instances', () => {
  it('fails a start with the last lines the instance printed, and is not running after it', async () => {
    const lines: string[] = [];
    const instance = await shopInstance({ name: 'refuses', env: BAD_ENV, onOutput: (line) => lines.push(line) });
    await expect(instance.start()).rejects.toThrow(
      /instance refuses exited \(78\) before it was ready; its last output:\n(.|\n)*DB_POOL_MAX/,
    );
    expect(lines.join('\n')).toContain('PORT');
    expect(instance.running()).toBe(false);
    expect(instance.pid).toBeNull();
  }, 30_000);
});
