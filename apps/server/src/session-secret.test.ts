import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSessionSecrets, sessionSecretFile } from './session-secret.ts';

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shop-secret-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('resolveSessionSecrets', () => {
  it('creates a random secret of its own in the data folder, readable by its owner only', async () => {
    const dir = await dataDir();
    const [secret = ''] = await resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: dir });
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect((await readFile(sessionSecretFile(dir), 'utf8')).trim()).toBe(secret);
    expect((await stat(sessionSecretFile(dir))).mode & 0o777).toBe(0o600);
  });

  it('keeps the same secret across restarts, so sessions survive them', async () => {
    const dir = await dataDir();
    const first = await resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: dir });
    expect(await resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: dir })).toEqual(first);
  });

  it('gives two installs two different secrets', async () => {
    const [a, b] = await Promise.all([dataDir(), dataDir()]);
    const [one] = await resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: a });
    const [other] = await resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: b });
    expect(one).not.toBe(other);
  });

  it('agrees on one secret when several processes create it at once', async () => {
    const dir = await dataDir();
    const module = new URL('./session-secret.ts', import.meta.url).pathname;
    const script = `import(${JSON.stringify(module)}).then(async (m) => process.stdout.write((await m.resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: process.argv[1] }))[0]))`;
    const outputs = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
            let out = '';
            child.stdout.on('data', (chunk: Buffer) => {
              out += chunk.toString();
            });
            child.once('error', reject);
            child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
          }),
      ),
    );
    const inProcess = await Promise.all(Array.from({ length: 6 }, () => resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: dir })));
    expect(new Set([...outputs, ...inProcess.map(([s]) => s)]).size).toBe(1);
    expect((await readFile(sessionSecretFile(dir), 'utf8')).trim()).toBe(outputs[0]);
  });

  it('uses SESSION_SECRET when it is set and writes no file', async () => {
    const dir = await dataDir();
    const secrets = ['k7#Qm2$vLp9@xR4!wZ8^nB3&cT6*yH1%'];
    expect(await resolveSessionSecrets({ SESSION_SECRETS: secrets, DATA_DIR: dir })).toEqual(secrets);
    await expect(stat(sessionSecretFile(dir))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a secret file that is too short to seal with, or the published development secret', async () => {
    for (const content of ['short', 'development-only-session-secret-do-not-deploy']) {
      const dir = await dataDir();
      await writeFile(sessionSecretFile(dir), `${content}\n`, { mode: 0o600 });
      await expect(resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: dir })).rejects.toThrow(/session-secret holds no usable/);
    }
  });

  it('refuses a secret file that others can read (a copy restored with lax modes)', async () => {
    const dir = await dataDir();
    await writeFile(sessionSecretFile(dir), 'k7#Qm2$vLp9@xR4!wZ8^nB3&cT6*yH1%\n', { mode: 0o644 });
    await expect(resolveSessionSecrets({ SESSION_SECRETS: [], DATA_DIR: dir })).rejects.toThrow(/readable by others/);
  });
});
