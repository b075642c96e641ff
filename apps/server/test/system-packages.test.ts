// .ci/system-packages.sh, which `pnpm test` and CI run first: it finds what the suites need
// (.ci/system-packages.txt), installs what is missing with apt-get as root on Debian/Ubuntu, and
// elsewhere names what to install. Run against lists and stub programs of the test's own.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = join(repoRoot, '.ci/system-packages.sh');
const realList = join(repoRoot, '.ci/system-packages.txt');
let dir: string;
let bin: string;
let list: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shop-system-packages-'));
  bin = join(dir, 'bin');
  await mkdir(join(dir, 'lib/17/bin'), { recursive: true });
  await mkdir(bin);
  await stub('shop-test-present', 'true');
  list = join(dir, 'list.txt');
  await writeFile(
    list,
    `# a comment
shop-test-present             pkg-present   a program that is there
shop-test-missing             pkg-missing   a program that is not
shop-test-also-missing        pkg-missing   another of the same package
${dir}/lib/*/bin/shop-initdb  pkg-server    a program found by path pattern
`,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function stub(name: string, body: string): Promise<void> {
  await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
  await chmod(join(bin, name), 0o755);
}

/** The script on `listFile` with PATH holding only the stubs (it adds the sbin folders itself). */
function run(listFile: string, path = bin): Promise<{ code: number; stderr: string }> {
  return promisify(execFile)('/bin/bash', [script, listFile], { env: { PATH: path } }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('.ci/system-packages.sh', () => {
  it('says what to install, once per package, and fails when it cannot install (no apt-get)', async () => {
    const { code, stderr } = await run(list);
    expect(code).toBe(1);
    expect(stderr).toContain('shop-test-missing (Debian/Ubuntu package pkg-missing): a program that is not');
    expect(stderr).toContain(`${dir}/lib/*/bin/shop-initdb (Debian/Ubuntu package pkg-server): a program found by path pattern`);
    expect(stderr).not.toContain('shop-test-present');
    expect(stderr).toContain('apt-get install pkg-missing pkg-server)');
  });

  it('installs what is missing with apt-get as root, then checks again', async () => {
    const log = join(dir, 'apt-get.log');
    // apt-get as Debian's would: the packages bring their programs.
    await stub(
      'apt-get',
      `PATH=/usr/bin:/bin
echo "$@" >> ${log}
case "$*" in *install*) printf '#!/bin/sh\\n' > ${bin}/shop-test-missing; printf '#!/bin/sh\\n' > ${bin}/shop-test-also-missing
  chmod +x ${bin}/shop-test-missing ${bin}/shop-test-also-missing; touch ${dir}/lib/17/bin/shop-initdb;; esac`,
    );
    const { code, stderr } = await run(list);
    if (process.getuid?.() === 0) {
      expect({ code, stderr }).toEqual({ code: 0, stderr: 'system-packages: installing pkg-missing pkg-server (apt-get)\n' });
      expect((await readFile(log, 'utf8')).split('\n')).toEqual([
        'update -qq',
        'install -y -qq --no-install-recommends pkg-missing pkg-server',
        '',
      ]);
      // Everything there now: nothing more to do.
      expect(await run(list)).toEqual({ code: 0, stderr: '' });
    } else {
      // Not root: never apt-get, only the advice.
      expect(code).toBe(1);
      expect(stderr).toContain('as root: apt-get install pkg-missing pkg-server');
    }
  });

  it('lists every program the suites start, and finds them all on this machine (CI installs them first)', async () => {
    const programs = (await readFile(realList, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.split(/\s+/)[0]);
    expect(programs).toEqual(
      expect.arrayContaining([
        'nginx',
        'chromium',
        'redis-server',
        'systemd-analyze',
        'promtool',
        '/usr/lib/postgresql/*/bin/initdb',
        'openssl',
        'ps',
        'script',
      ]),
    );
    expect(programs).not.toContain('docker-compose');
    expect(await run(realList, process.env.PATH)).toEqual({ code: 0, stderr: '' });
  });
});
