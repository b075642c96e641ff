import { describe, expect, it } from 'vitest';
import { createLimits } from './limits.ts';

async function lockOut(limits: ReturnType<typeof createLimits>, email: string) {
  for (let i = 0; i < 10; i++) expect((await limits.loginByEmail.consume(email)).allowed).toBe(true);
  return limits.loginByEmail.isBlocked(email);
}

describe('createLimits', () => {
  it('locks an email out for 15 minutes by default', async () => {
    const locked = await lockOut(createLimits(), 'a@example.test');
    expect(locked.blocked).toBe(true);
    expect(locked.retryAfterMs).toBeGreaterThan(14 * 60_000);
    expect(locked.retryAfterMs).toBeLessThanOrEqual(15 * 60_000);
  });

  it('uses the configured sign-in window for both login limiters', async () => {
    const limits = createLimits(undefined, { loginWindowS: 30 });
    const locked = await lockOut(limits, 'b@example.test');
    expect(locked.blocked).toBe(true);
    expect(locked.retryAfterMs).toBeLessThanOrEqual(30_000);
    for (let i = 0; i < 50; i++) await limits.loginByIp.consume('192.0.2.1');
    const ip = await limits.loginByIp.isBlocked('192.0.2.1');
    expect(ip.blocked).toBe(true);
    expect(ip.retryAfterMs).toBeLessThanOrEqual(30_000);
  });
});
