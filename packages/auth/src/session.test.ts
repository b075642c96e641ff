import { describe, expect, it } from 'vitest';
import { createSessionCodec, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from './session.ts';

const OLD = 'old-secret-0123456789-abcdefghijklmnop';
const NEW = 'new-secret-0123456789-qrstuvwxyzABCDEF';
const cookie = (setCookie: string) => setCookie.split(';')[0];

describe('session codec', () => {
  it('round-trips the session through the cookie', async () => {
    const codec = createSessionCodec({ secrets: [NEW], secure: false });
    const data = { uid: 'u1', sv: 3, iat: Date.now(), seen: Date.now() };
    expect(await codec.read(cookie(await codec.write(data)))).toEqual(data);
    expect(await codec.read(undefined)).toBeNull();
  });

  it('keeps opening cookies sealed with the previous secret after rotation', async () => {
    const before = createSessionCodec({ secrets: [OLD], secure: false });
    const after = createSessionCodec({ secrets: [NEW, OLD], secure: false });
    const data = { uid: 'u1', sv: 1, iat: Date.now(), seen: Date.now() };
    expect(await after.read(cookie(await before.write(data)))).toEqual(data);
    // New cookies are sealed with the new secret only.
    expect(await before.read(cookie(await after.write(data)))).toBeNull();
  });

  it('expires after the idle timeout and after the absolute lifetime', async () => {
    let now = Date.now();
    const codec = createSessionCodec({ secrets: [NEW], secure: false, now: () => now });
    const value = cookie(await codec.write({ uid: 'u1', sv: 1, iat: now, seen: now }));
    // Opened once (and kept): a later read still applies the lifetime checks.
    expect(await codec.read(value)).not.toBeNull();
    now += SESSION_IDLE_MS + 1;
    expect(await codec.read(value)).toBeNull();

    now = Date.now();
    const refreshed = cookie(await codec.write({ uid: 'u1', sv: 1, iat: now - SESSION_ABSOLUTE_MS - 1, seen: now }));
    expect(await codec.read(refreshed)).toBeNull();
  });

  it('refuses a tampered seal even after the genuine one was opened', async () => {
    const codec = createSessionCodec({ secrets: [NEW], secure: false });
    const value = cookie(await codec.write({ uid: 'u1', sv: 1, iat: Date.now(), seen: Date.now() })) ?? '';
    expect(await codec.read(value)).not.toBeNull();
    // The MAC is the last field; change its first character (the last one may carry only padding bits).
    const at = value.lastIndexOf('*') + 1;
    const tampered = value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
    expect(await codec.read(tampered)).toBeNull();
    const stranger = createSessionCodec({ secrets: [OLD], secure: false });
    expect(await stranger.read(value)).toBeNull();
  });

  it.each([
    ['a bad percent escape', 'shop_session=%E0%A4%A'],
    ['a lone percent sign', 'shop_session=%'],
    ['an escape of an invalid UTF-8 sequence', 'shop_session=%FF%FE'],
    ['an empty value', 'shop_session='],
    ['a value past the size limit', `shop_session=${'%41'.repeat(3000)}`],
    ['non-ASCII', 'shop_session=séance✓'],
    ['only separators', ';;; =; shop_session'],
    ['a name with no value twice', 'shop_session; shop_session'],
  ])('reads a cookie with %s as signed out, never throws', async (_shape, header) => {
    const codec = createSessionCodec({ secrets: [NEW], secure: false });
    await expect(codec.read(header)).resolves.toBeNull();
  });

  it('reads the first of duplicated cookie names, whether it or the other is malformed', async () => {
    const codec = createSessionCodec({ secrets: [NEW], secure: false });
    const data = { uid: 'u1', sv: 1, iat: Date.now(), seen: Date.now() };
    const valid = cookie(await codec.write(data));
    await expect(codec.read(`shop_session=%E0%A4%A; ${valid}`)).resolves.toBeNull();
    await expect(codec.read(`${valid}; shop_session=%E0%A4%A`)).resolves.toEqual(data);
  });

  it('refuses secrets too short to seal with', () => {
    expect(() => createSessionCodec({ secrets: ['short'], secure: false })).toThrow(/at least 32/);
  });
});
