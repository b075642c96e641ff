// The files of an nginx prefix dir (config, pid, logs, temp paths, cache, control socket, drain
// flags): where the rendered config points nginx, and where the cluster writes and reads.
import { join } from 'node:path';

/** Where the rendered config keeps its files, relative to the prefix. */
export function prefixPaths(prefix: string) {
  return {
    conf: join(prefix, 'nginx.conf'),
    pid: join(prefix, 'nginx.pid'),
    errorLog: join(prefix, 'logs', 'error.log'),
    accessLog: join(prefix, 'logs', 'access.log'),
    controlSocket: join(prefix, 'control.sock'),
    cache: join(prefix, 'cache', 'micro'),
    temp: join(prefix, 'temp'),
    logs: join(prefix, 'logs'),
    drain: join(prefix, 'drain'),
  };
}

/**
 * While this file exists nginx sends the instance nothing new: no reload needed (a reload makes
 * old workers drop idle client connections, which races with clients reusing them).
 */
export function drainFlag(prefix: string, instance: string): string {
  return join(prefixPaths(prefix).drain, instance);
}
