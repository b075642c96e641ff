import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';

describe('loadEnv', () => {
  it('applies defaults for an empty environment', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', NODE_ENV: 'development', SEED_PRODUCTS: 1000 });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.INSTANCE_NAME).toMatch(/:3000$/);
  });

  it('logs at info unless LOG_LEVEL says otherwise, and refuses an unknown level by name', () => {
    expect(loadEnv({}).LOG_LEVEL).toBe('info');
    expect(loadEnv({ LOG_LEVEL: 'silent' }).LOG_LEVEL).toBe('silent');
    expect(() => loadEnv({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL/);
  });

  it('takes the sign-in window in whole seconds, 15 minutes unless set', () => {
    expect(loadEnv({}).LOGIN_WINDOW_S).toBe(900);
    expect(loadEnv({ LOGIN_WINDOW_S: '5' }).LOGIN_WINDOW_S).toBe(5);
    for (const bad of ['0', '-1', '1.5', 'soon', '86401']) expect(() => loadEnv({ LOGIN_WINDOW_S: bad }), bad).toThrow(/LOGIN_WINDOW_S/);
  });

  it('takes an instance name fit for a header and a metric label, and nothing that could end a line', () => {
    expect(loadEnv({ INSTANCE_NAME: 'shop-1.example:3001' }).INSTANCE_NAME).toBe('shop-1.example:3001');
    for (const bad of ['i1\r\nx-injected: 1', 'two words', '', 'x'.repeat(65)])
      expect(() => loadEnv({ INSTANCE_NAME: bad }), bad).toThrow(/INSTANCE_NAME/);
  });

  it('keeps the whole pool open unless DB_POOL_MIN says less, and never more than DB_POOL_MAX', () => {
    expect(loadEnv({})).toMatchObject({ DB_POOL_MAX: 10, DB_POOL_MIN: 10 });
    expect(loadEnv({ DB_POOL_MAX: '4' })).toMatchObject({ DB_POOL_MAX: 4, DB_POOL_MIN: 4 });
    expect(loadEnv({ DB_POOL_MIN: '0' }).DB_POOL_MIN).toBe(0);
    expect(loadEnv({ DB_POOL_MIN: '' }).DB_POOL_MIN).toBe(10);
    expect(() => loadEnv({ DB_POOL_MAX: '4', DB_POOL_MIN: '5' })).toThrow(/DB_POOL_MIN: at most DB_POOL_MAX \(4\)/);
    for (const bad of ['-1', '1.5', 'many']) expect(() => loadEnv({ DB_POOL_MIN: bad }), bad).toThrow(/DB_POOL_MIN/);
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadEnv({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('takes an smtp:// or smtps:// SMTP_URL, and a sender that defaults outside production only', () => {
    expect(loadEnv({}).SMTP_URL).toBeUndefined();
    expect(loadEnv({}).MAIL_FROM).toBe('Shop <shop@localhost>');
    expect(loadEnv({ SMTP_URL: 'smtps://user:pw@mail.example.com:465', MAIL_FROM: 'orders@example.com' })).toMatchObject({
      SMTP_URL: 'smtps://user:pw@mail.example.com:465',
      MAIL_FROM: 'orders@example.com',
    });
    expect(loadEnv({ SMTP_URL: '' }).SMTP_URL).toBeUndefined();
    for (const bad of ['http://mail.example.com', 'mail.example.com:25']) expect(() => loadEnv({ SMTP_URL: bad }), bad).toThrow(/SMTP_URL/);
    // The error names the variable, never the credentials in its value.
    expect(() => loadEnv({ SMTP_URL: 'ftp://user:hunter2@mail.example.com' })).not.toThrow(/hunter2/);
    for (const bad of ['shop', 'Shop <shop>', 'a@b\r\nBcc: x@y.z', 'Shop <a@b> <c@d>'])
      expect(() => loadEnv({ MAIL_FROM: bad }), bad).toThrow(/MAIL_FROM/);
    expect(loadEnv({ MAIL_FROM: '"Shop, Inc." <orders@example.com>' }).MAIL_FROM).toBe('"Shop, Inc." <orders@example.com>');
    const production = {
      NODE_ENV: 'production',
      SESSION_SECRET: 'k7#Qm2$vLp9@xR4!wZ8^nB3&cT6*yH1%',
      DATABASE_URL: 'postgres://db/shop',
    } as const;
    expect(() => loadEnv({ ...production, SMTP_URL: 'smtp://mail.example.com' })).toThrow(
      /MAIL_FROM: required with SMTP_URL in production/,
    );
    expect(loadEnv({ ...production, SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'orders@example.com' }).MAIL_FROM).toBe(
      'orders@example.com',
    );
  });

  it('takes read replicas as a comma list of postgres:// URLs, only beside DATABASE_URL', () => {
    const primary = { DATABASE_URL: 'postgres://db/shop' };
    expect(loadEnv(primary).DATABASE_REPLICA_URLS).toEqual([]);
    expect(loadEnv({ ...primary, DATABASE_REPLICA_URLS: ' postgres://r1:5432/shop, postgresql://r2 ,' }).DATABASE_REPLICA_URLS).toEqual([
      'postgres://r1:5432/shop',
      'postgresql://r2',
    ]);
    for (const bad of ['r1:5432', 'http://r1/shop', 'postgres://r1,not a url']) {
      expect(() => loadEnv({ ...primary, DATABASE_REPLICA_URLS: bad }), bad).toThrow(/DATABASE_REPLICA_URLS/);
    }
    expect(() => loadEnv({ DATABASE_REPLICA_URLS: 'postgres://r1/shop' })).toThrow(/DATABASE_REPLICA_URLS: needs DATABASE_URL/);
  });

  it('names every bad variable', () => {
    expect(() => loadEnv({ PORT: 'eighty', DATABASE_URL: 'not a url' })).toThrow(/PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/);
  });

  it('requires a strong session secret in production', () => {
    expect(() => loadEnv({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET: required in production/);
    expect(() => loadEnv({ NODE_ENV: 'production', SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET: must be at least 32/);
    expect(() => loadEnv({ NODE_ENV: 'production', SESSION_SECRET: 'a'.repeat(40) })).toThrow(/SESSION_SECRET: has too few distinct/);
    const env = loadEnv({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/shop',
      SESSION_SECRET: 'k7#Qm2$vLp9@xR4!wZ8^nB3&cT6*yH1%, older-secret-still-accepted-0123456789',
    });
    expect(env.SESSION_SECRETS).toHaveLength(2);
    expect(env.COOKIE_SECURE).toBe(true);
    expect(env.STAFF_REQUIRE_MFA).toBe(true);
  });

  it('takes no secret from the source outside production: main.ts keeps one in DATA_DIR', () => {
    const env = loadEnv({});
    expect(env.SESSION_SECRETS).toEqual([]);
    expect(env.COOKIE_SECURE).toBe(false);
    expect(loadEnv({ COOKIE_SECURE: 'true' }).COOKIE_SECURE).toBe(true);
  });

  it('requires staff to enrol a second factor in production only, unless STAFF_REQUIRE_MFA says otherwise', () => {
    expect(loadEnv({}).STAFF_REQUIRE_MFA).toBe(false);
    expect(loadEnv({ STAFF_REQUIRE_MFA: 'on' }).STAFF_REQUIRE_MFA).toBe(true);
    const production = {
      NODE_ENV: 'production',
      SESSION_SECRET: 'k7#Qm2$vLp9@xR4!wZ8^nB3&cT6*yH1%',
      DATABASE_URL: 'postgres://db/shop',
    } as const;
    expect(loadEnv({ ...production, STAFF_REQUIRE_MFA: 'false' }).STAFF_REQUIRE_MFA).toBe(false);
    expect(() => loadEnv({ STAFF_REQUIRE_MFA: 'maybe' })).toThrow(/STAFF_REQUIRE_MFA/);
  });

  it('refuses the development secret that used to be published in the source, in every mode', () => {
    expect(() => loadEnv({ SESSION_SECRET: 'development-only-session-secret-do-not-deploy' })).toThrow(/SESSION_SECRET: is a published/);
  });

  it('refuses the embedded database in production', () => {
    const secret = 'k7#Qm2$vLp9@xR4!wZ8^nB3&cT6*yH1%';
    expect(() => loadEnv({ NODE_ENV: 'production', SESSION_SECRET: secret })).toThrow(/DATABASE_URL: required in production/);
    expect(loadEnv({ NODE_ENV: 'production', SESSION_SECRET: secret, DATABASE_URL: 'postgres://db/shop' }).DATABASE_URL).toBe(
      'postgres://db/shop',
    );
  });

  it('connects to no Redis unless REDIS_URL or REDIS_SENTINELS is set', () => {
    expect(loadEnv({}).REDIS).toBeUndefined();
    expect(loadEnv({ REDIS_URL: 'redis://cache:6379' }).REDIS).toEqual({ url: 'redis://cache:6379', password: undefined });
  });

  it('finds the primary through REDIS_SENTINELS: host:port list, Sentinel port by default, passwords apart', () => {
    const env = loadEnv({
      REDIS_SENTINELS: 's1:26380, [::1]:5000,s3',
      REDIS_PASSWORD: 'data secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(env.REDIS).toEqual({
      sentinels: [
        { host: 's1', port: 26_380 },
        { host: '::1', port: 5000 },
        { host: 's3', port: 26_379 },
      ],
      name: 'mymaster',
      password: 'data secret',
      sentinelPassword: 'sentinel-secret',
    });
    expect(loadEnv({ REDIS_SENTINELS: 's1:1', REDIS_SENTINEL_NAME: 'shop' }).REDIS).toMatchObject({ name: 'shop' });
    for (const bad of ['s1:0', 's1:65536', 's1:port', ':1', 's1:1:2', 'a b:1']) {
      expect(() => loadEnv({ REDIS_SENTINELS: bad }), bad).toThrow(/REDIS_SENTINELS\.0: .*is not host:port/);
    }
    expect(() => loadEnv({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: ' ' })).toThrow(/REDIS_SENTINEL_NAME/);
  });

  it('refuses Redis settings that contradict each other or lead nowhere, naming the variable', () => {
    expect(() => loadEnv({ REDIS_URL: 'redis://cache:6379', REDIS_SENTINELS: 's1:26379' })).toThrow(/REDIS_SENTINELS: set either/);
    expect(() => loadEnv({ REDIS_URL: 'redis://cache:6379', REDIS_SENTINEL_PASSWORD: 'x' })).toThrow(/REDIS_SENTINEL_PASSWORD: only used/);
    expect(() => loadEnv({ REDIS_PASSWORD: 'x' })).toThrow(/REDIS_PASSWORD: set REDIS_URL or REDIS_SENTINELS/);
    expect(() => loadEnv({ REDIS_URL: 'redis://:one@cache:6379', REDIS_PASSWORD: 'two' })).toThrow(/REDIS_PASSWORD: differs/);
  });

  it('names REDIS_URL when its password has a malformed %-escape, without showing the password', () => {
    for (const env of [{ REDIS_URL: 'redis://:50%off@cache:6379' }, { REDIS_URL: 'redis://:50%off@cache:6379', REDIS_PASSWORD: 'x' }]) {
      expect(() => loadEnv(env)).toThrow(/invalid configuration:\n {2}REDIS_URL: its password has a malformed %-escape/);
      expect(() => loadEnv(env)).not.toThrow(/50%off/);
    }
  });

  it('takes the Redis password from REDIS_URL or REDIS_PASSWORD', () => {
    expect(loadEnv({ REDIS_URL: 'redis://cache:6379', REDIS_PASSWORD: 'p@ss' }).REDIS).toEqual({
      url: 'redis://cache:6379',
      password: 'p@ss',
    });
    // The same password both ways (percent-encoded in the URL) is no contradiction.
    expect(loadEnv({ REDIS_URL: 'redis://:p%40ss@cache:6379', REDIS_PASSWORD: 'p@ss' }).REDIS).toMatchObject({ password: 'p@ss' });
    expect(loadEnv({ REDIS_URL: 'redis://:p%40ss@cache:6379', REDIS_PASSWORD: '' }).REDIS).toMatchObject({ password: undefined });
  });
});
