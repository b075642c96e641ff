import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from './process.ts';
import { instanceEnv, shopInstance } from './shop.ts';

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

describe('an instance environment', () => {
  const shell = { PATH: '/bin', REDIS_URL: 'redis://shell:6379', REDIS_SENTINELS: 's1:26379', REDIS_PASSWORD: 'shell-secret' };

  it('takes no Redis variable from this process once the caller names one', () => {
    const env = instanceEnv('i1', 3001, { REDIS_URL: 'redis://mine:6379' }, shell);
    expect(Object.entries(env).filter(([key]) => key.startsWith('REDIS_'))).toEqual([['REDIS_URL', 'redis://mine:6379']]);
    expect(env).toMatchObject({ PATH: '/bin', PORT: '3001', INSTANCE_NAME: 'i1' });
    // Sentinels chosen: the shell's REDIS_URL is left out with the rest.
    const sentinels = instanceEnv('i1', 3001, { REDIS_SENTINELS: 'mine:26379' }, shell);
    expect(Object.keys(sentinels).filter((key) => key.startsWith('REDIS_'))).toEqual(['REDIS_SENTINELS']);
    // No Redis chosen (REDIS_URL named, undefined): none at all.
    expect(Object.keys(instanceEnv('i1', 3001, { REDIS_URL: undefined }, shell)).filter((key) => key.startsWith('REDIS_'))).toEqual([]);
  });

  it("inherits this process's Redis when the caller names none", () => {
    expect(instanceEnv('i1', 3001, { DATABASE_URL: 'postgres://db/shop' }, shell)).toMatchObject({
      REDIS_URL: 'redis://shell:6379',
      REDIS_SENTINELS: 's1:26379',
      REDIS_PASSWORD: 'shell-secret',
    });
  });
});
