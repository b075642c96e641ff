// `pnpm cluster:restart`: asks the running `pnpm cluster` (found through its state file) for a
// rolling restart with SIGUSR2, and waits for it. The supervisor restarts the instances itself,
// so they stay its children.
import { sleep } from '@shop/proc';
import { clusterDir, isAlive, readState } from './state.ts';

const dir = clusterDir(process.env);
const fail = (message: string): never => {
  console.error(`[cluster:restart] ${message}`);
  process.exit(1);
};

const before = await readState(dir);
if (!before?.pid || !isAlive(before.pid)) fail(`no running cluster found in ${dir} (start one with pnpm cluster)`);
const { pid, restarts } = before as NonNullable<typeof before>;
// A restart already under way finishes first; ours is the one after it.
const target = restarts.completed + (restarts.running ? 2 : 1);
process.kill(pid, 'SIGUSR2');
console.log(`[cluster:restart] rolling restart requested (supervisor pid ${pid}); waiting…`);

const started = Date.now();
for (;;) {
  await sleep(250);
  const now = await readState(dir);
  if (!now || !isAlive(pid)) fail('the cluster stopped during the restart');
  if (now && now.restarts.completed >= target) {
    if (now.restarts.lastError) fail(`rolling restart failed: ${now.restarts.lastError}`);
    console.log(`[cluster:restart] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    break;
  }
}
