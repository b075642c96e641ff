// Where a cluster keeps its files: the prefix dir (conf, pid, temp, logs, drain flags) and the SPA,
// both where nginx's workers can reach them.
import { chmod, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { reachableByOthers } from '@shop/proc';
import { workerUser } from './nginx.ts';
import { prefixPaths } from './prefix.ts';

export interface ClusterDirs {
  /** The instances' DATA_DIR and the logs: `dir`, or a fresh temp dir (`ownDir`). */
  dir: string;
  ownDir: boolean;
  /** Nginx's prefix: `dir`, or a temp dir of its own (`ownPrefix`) where its workers could not reach that. */
  prefix: string;
  ownPrefix: boolean;
  /** The SPA as nginx serves it: the build, or a copy in the prefix its workers can read. */
  webDist: string;
  /** Nginx's worker user, when this process is root. */
  user: string | undefined;
  /** Removes the temp dirs made here. */
  remove(): Promise<void>;
}

/** The cluster's dirs for `dir` (default: a fresh temp dir) and the SPA build in `builtDist`. */
export async function clusterDirs(options: { dir?: string | undefined; builtDist: string }): Promise<ClusterDirs> {
  const { builtDist } = options;
  const ownDir = !options.dir;
  const dir = resolve(options.dir ?? (await mkdtemp(join(tmpdir(), 'shop-cluster-'))));
  await mkdir(join(dir, 'logs'), { recursive: true });
  // Flags left by an interrupted rolling restart would keep an instance out of rotation.
  await rm(prefixPaths(dir).drain, { recursive: true, force: true });
  await mkdir(prefixPaths(dir).drain, { recursive: true });
  if (ownDir) await chmod(dir, 0o755);
  // Started as root, nginx's workers run as `nobody`, who must reach its prefix (temp files, the
  // cache, drain flags) and the SPA. Where this checkout is out of its reach (under root's 0700
  // home), nginx gets a prefix of its own in the temp folder, with a copy of the SPA.
  const user = workerUser();
  const ownPrefix = user !== undefined && !reachableByOthers(dir);
  const prefix = ownPrefix ? await mkdtemp(join(tmpdir(), 'shop-nginx-')) : dir;
  if (ownPrefix) {
    await chmod(prefix, 0o755);
    await mkdir(prefixPaths(prefix).drain, { recursive: true });
  }
  const webDist = user !== undefined && !reachableByOthers(builtDist) ? join(prefix, 'web') : builtDist;
  if (webDist !== builtDist) {
    await cp(builtDist, webDist, { recursive: true });
    // cp keeps the build folder's own mode, which a mkdtemp folder has as 0700.
    await chmod(webDist, 0o755);
  }
  return {
    dir,
    ownDir,
    prefix,
    ownPrefix,
    webDist,
    user,
    async remove() {
      if (ownDir) await rm(dir, { recursive: true, force: true });
      if (ownPrefix) await rm(prefix, { recursive: true, force: true });
    },
  };
}
