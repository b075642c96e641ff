// Private PostgreSQL servers for tests: a primary from initdb and streaming replicas of it from
// pg_basebackup -R, each in a temporary folder, on a free port of 127.0.0.1, stopped by PID. As
// root they run as the OS user `postgres`, as PostgreSQL requires.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type PortRange } from './ports.ts';
import { spawnTracked, stop } from './process.ts';
import { waitFor } from './wait.ts';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Starts it again after `stop()`; resolves once it accepts connections. */
  start(): Promise<void>;
  /**
   * `fast` (SIGINT, `pg_ctl stop -m fast`): sessions are cut, then a clean shutdown.
   * `immediate` (SIGQUIT, `pg_ctl stop -m immediate`): the server quits at once, as in a crash.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops it and deletes its folder. */
  remove(): Promise<void>;
}

export interface PostgresOptions {
  /** Default: a port the OS picks. */
  ports?: PortRange;
  /** Server settings (`-c name=value`) besides the kit's own. */
  settings?: Record<string, string>;
}

/** The OS user PostgreSQL runs as, when it is not ourselves. */
type OsUser = { uid: number; gid: number } | null;

// Tests only: no fsync, and enough connections for several instances' pools. A streaming
// replica needs wal_level replica (PostgreSQL's default, stated here since replicas rely on it).
const KIT_SETTINGS = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  max_connections: '200',
  wal_level: 'replica',
  max_wal_senders: '10',
};

/** The newest Debian/Ubuntu PostgreSQL server binaries (`/usr/lib/postgresql/<major>/bin`). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((major) => existsSync(join(root, major, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error(`no PostgreSQL server binaries in ${root}/<major>/bin (apt-get install postgresql)`);
  return join(root, majors[0], 'bin');
}

/** The uid and gid PostgreSQL must run as: `postgres` when we are root, else ourselves. */
async function serverUser(): Promise<OsUser> {
  if (process.getuid?.() !== 0) return null;
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('no OS user postgres to run PostgreSQL as (useradd --system postgres)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs one of PostgreSQL's tools to its end (at most `timeoutMs`); rejects with its stderr. */
function runTool(bin: string, tool: string, args: readonly string[], user: OsUser, timeoutMs = 60_000) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(join(bin, tool), args, { ...user, stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${tool} exited with ${code ?? signal}: ${stderr.trim().slice(-1000)}`)),
    );
  });
}

/** A folder of its own under the system's temporary one, owned by the server's user. */
async function serverFolder(prefix: string, user: OsUser): Promise<string> {
  // mkdtemp makes it 0700: only its owner (the server's user) enters it; /tmp above lets anyone through.
  const parent = await mkdtemp(join(tmpdir(), prefix));
  if (user) await chown(parent, user.uid, user.gid);
  return parent;
}

/** Whether the server on `port` accepts connections (a hot standby does once it is consistent). */
const accepting = (bin: string, port: number) =>
  runTool(
    bin,
    'pg_isready',
    ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '2'],
    null,
    5_000,
  ).then(() => true);

/** A server on a data folder that `prepare` fills (initdb, pg_basebackup), started and restartable. */
async function startServer(
  prefix: string,
  prepare: (bin: string, dataDir: string, user: OsUser) => Promise<void>,
  options: PostgresOptions,
): Promise<PostgresServer> {
  const bin = postgresBin();
  const user = await serverUser();
  const parent = await serverFolder(prefix, user);
  const dataDir = join(parent, 'data');
  const port = await freePort(options.ports);
  const settings = Object.entries({ ...KIT_SETTINGS, ...options.settings }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  let child: ChildProcess | undefined;
  const start = async () => {
    // Its Unix socket in its own folder, not /var/run/postgresql (the machine's server's).
    const started = spawnTracked(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), '-k', parent, ...settings], {
      ...user,
      stdio: 'ignore',
    });
    child = started;
    await waitFor(() => accepting(bin, port), `PostgreSQL on port ${port}`, { child: started, timeoutMs: 60_000 });
  };
  const halt = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (child) await stop(child, mode === 'fast' ? 'SIGINT' : 'SIGQUIT', 20_000);
  };
  const remove = async () => {
    await halt('immediate');
    await rm(parent, { recursive: true, force: true });
  };
  try {
    await prepare(bin, dataDir, user);
    await start();
  } catch (error) {
    await remove();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dataDir, start, stop: halt, remove };
}

/** A private PostgreSQL server from initdb (trust authentication for 127.0.0.1, replication too). */
export const startPostgres = (options: PostgresOptions = {}): Promise<PostgresServer> =>
  startServer(
    'shop-pg-',
    (bin, dataDir, user) =>
      runTool(bin, 'initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], user),
    options,
  );

/**
 * A hot-standby streaming replica of `primary`: `pg_basebackup -R` copies it and writes the standby
 * settings (standby.signal, primary_conninfo), then it starts and follows the primary's WAL.
 */
export const startReplica = (primary: PostgresServer, options: PostgresOptions = {}): Promise<PostgresServer> =>
  startServer(
    'shop-pg-replica-',
    (bin, dataDir, user) =>
      runTool(bin, 'pg_basebackup', ['-d', primary.url, '-D', dataDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'], user),
    options,
  );
