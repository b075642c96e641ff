// `pnpm staff:create` as an operator runs it: a real process on a database of its own, a password
// piped in or generated, then the stored hash checked like a sign-in does.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { verifyPassword } from '@shop/auth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';

const cli = fileURLToPath(new URL('./staff-create.ts', import.meta.url));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await db?.drop();
});

/** Runs the command with `input` on stdin (or nothing: stdin is then /dev/null, not a terminal). */
function staffCreate(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(input);
  });
}

async function account(email: string) {
  const rows = await db.orm.em
    .getConnection()
    .execute<{ name: string; role: string; hash: string; sv: number }[]>(
      'select name, role, password_hash as hash, session_version as sv from users where email = ?',
      [email],
    );
  return rows[0];
}

describe('pnpm staff:create', () => {
  it('creates a staff account with the password piped in, hashed with argon2id', async () => {
    const result = await staffCreate(['Boss@Example.test'], 'a-long-piped-password\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('a-long-piped-password');
    const stored = await account('boss@example.test');
    expect(stored).toMatchObject({ role: 'staff', name: 'boss' });
    expect(stored?.hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(stored?.hash ?? '', 'a-long-piped-password')).toBe(true);
  });

  it('generates a strong password when none is piped in, and prints it once', async () => {
    const result = await staffCreate(['ops@example.test', '--name', 'Ops Team']);
    expect(result.code, result.stderr).toBe(0);
    const password = /password: (\S+)/.exec(result.stdout)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(result.stdout.split(password)).toHaveLength(2);
    const stored = await account('ops@example.test');
    expect(stored).toMatchObject({ role: 'staff', name: 'Ops Team' });
    expect(await verifyPassword(stored?.hash ?? '', password)).toBe(true);
  });

  // Five runs of the script, each a Node start and an argon2id hash: on a CI machine running other
  // suites beside it, 30 s was too short (not a performance figure, a bound on a hang).
  it('promotes an existing account only with --promote, always with a new password, ending its sessions', async () => {
    await staffCreate(['shopper@example.test'], 'first-password-123');
    await db.orm.em.getConnection().execute(`update users set role = 'shopper' where email = 'shopper@example.test'`);
    const before = await account('shopper@example.test');
    // Anyone may sign up under the operator's address first: without --promote nothing changes.
    const refused = await staffCreate(['shopper@example.test'], 'second-password-456');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--promote/);
    expect(await account('shopper@example.test')).toEqual(before);

    expect((await staffCreate(['shopper@example.test', '--promote'], 'second-password-456')).code).toBe(0);
    const changed = await account('shopper@example.test');
    expect(changed?.role).toBe('staff');
    expect(await verifyPassword(changed?.hash ?? '', 'second-password-456')).toBe(true);
    expect(changed?.sv).toBe((before?.sv ?? 0) + 1);

    // Without a piped password, a generated one replaces the old (printed once).
    const generated = await staffCreate(['shopper@example.test', '--promote']);
    const password = /password: (\S+)/.exec(generated.stdout)?.[1] ?? '';
    const latest = await account('shopper@example.test');
    expect(await verifyPassword(latest?.hash ?? '', password)).toBe(true);
    expect(await verifyPassword(latest?.hash ?? '', 'second-password-456')).toBe(false);
    expect(latest?.sv).toBe((changed?.sv ?? 0) + 1);
  }, 120_000);

  it('refuses a bad email or a short password, changing nothing', async () => {
    expect((await staffCreate(['not-an-email'], 'long-enough-password')).code).toBe(2);
    const short = await staffCreate(['short@example.test'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 8/);
    expect(await account('short@example.test')).toBeUndefined();
    const common = await staffCreate(['common@example.test'], 'password123');
    expect(common.code).toBe(2);
    expect(common.stderr).toMatch(/too easy to guess/);
    expect(await account('common@example.test')).toBeUndefined();
  });
});
