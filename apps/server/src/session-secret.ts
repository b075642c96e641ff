// The session secret of an install that was given none (outside production): random, made on the
// first start, kept in DATA_DIR so restarts keep everyone signed in and no two installs share one.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Env, weakSecret } from './env.ts';

export const sessionSecretFile = (dataDir: string) => join(dataDir, 'session-secret');

async function readSecret(file: string): Promise<string> {
  // Anyone else who can read it can forge every session: a copy restored with lax modes is refused.
  if (((await stat(file)).mode & 0o077) !== 0) throw new Error(`${file} is readable by others: chmod 600 it`);
  const secret = (await readFile(file, 'utf8')).trim();
  const problem = weakSecret(secret);
  if (problem) throw new Error(`${file} holds no usable secret (it ${problem}): delete it to have a new one made`);
  return secret;
}

/** SESSION_SECRET's secrets when set; else the data folder's own secret, created if missing. */
export async function resolveSessionSecrets(env: Pick<Env, 'SESSION_SECRETS' | 'DATA_DIR'>): Promise<string[]> {
  if (env.SESSION_SECRETS.length > 0) return env.SESSION_SECRETS;
  const file = sessionSecretFile(env.DATA_DIR);
  try {
    return [await readSecret(file)];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(env.DATA_DIR, { recursive: true });
  // Written whole under a name of its own, then linked into place: link() fails if the file exists,
  // so of instances starting at once exactly one wins, and the others never see half a file.
  const secret = randomBytes(32).toString('base64url');
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(draft, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(draft, file);
    return [secret];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return [await readSecret(file)];
  } finally {
    await rm(draft, { force: true });
  }
}
