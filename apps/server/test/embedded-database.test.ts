// `pnpm db:migrate`, `pnpm staff:create` and the server, as a person runs them on the embedded
// default (no DATABASE_URL): the scripts and the server read the same variables (DATA_DIR), so
// they open one database. Real processes: the scripts through pnpm, the server as `pnpm start` runs it.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ShopInstance, startInstance } from './harness.ts';

let parent: string;
let dataDir: string;
let server: ShopInstance | undefined;

beforeAll(async () => {
  // Embedded PostgreSQL runs as the `postgres` OS user under root: the folder must be enterable.
  parent = await mkdtemp(join(tmpdir(), 'shop-embedded-env-'));
  await chmod(parent, 0o755);
  dataDir = join(parent, 'data');
});
afterAll(async () => {
  await server?.stop();
  await rm(parent, { recursive: true, force: true });
}, 60_000);

/** The environment of a shell with DATA_DIR set and no DATABASE_URL. */
function embeddedEnv(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _, ...env } = process.env;
  return { ...env, DATA_DIR: dataDir, NODE_ENV: 'development' };
}

/** `pnpm <args>` at the repository root, `input` on stdin; its exit code and output. */
function pnpm(args: string[], input = ''): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['--silent', ...args], { cwd: repoRoot, env: embeddedEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

describe('the embedded database of DATA_DIR', () => {
  it('is the one `pnpm db:migrate` and `pnpm staff:create` write and the server then opens', async () => {
    const migrated = await pnpm(['db:migrate']);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toMatch(/applied Migration/);

    const email = `first-staff-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const password = 'copper-lantern-orbit-4417';
    const created = await pnpm(['staff:create', email], `${password}\n`);
    expect(created.code, created.output).toBe(0);

    server = await startInstance('embedded-env', { DATABASE_URL: undefined, DATA_DIR: dataDir });
    const res = await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { result: { data: { role: string } } }).result.data.role).toBe('staff');
  }, 120_000);
});
