// A Docker Engine for the adapter's integration tests: DOCKER_HOST when it is set (checked to answer), else a
// throwaway `dockerd` in a temporary directory — started with --bridge=none --iptables=false --ip-forward=false, so it
// never touches the host's firewall or forwarding (the default bridge would) — stopped and removed at the end.
// Either way the worker image (both entrypoints: the one-task worker and the pull worker) is built on it first
// (scripts/build-worker-image.mjs: no registry, nothing pulled).
import { type ChildProcess, execFile as execFileCallback, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const execFile = promisify(execFileCallback);
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The worker image the tests launch. */
export const TEST_IMAGE = 'scanplane-worker:test';

export interface TestEngine {
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  host: string;
  /** The daemon's socket. */
  socketPath: string;
  /** A client for it. */
  docker: Docker;
  /** Whether this process started the daemon. */
  owned: boolean;
  /** The worker image, built on this daemon. */
  image: string;
  /** Stops the daemon and removes its directory (nothing for DOCKER_HOST). */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'dockerd (the Docker Engine) was not found: install it with `apt-get install -y docker.io` (Debian/Ubuntu), or ' +
  'point the tests at a running engine with DOCKER_HOST=unix:///path/to/docker.sock.';

function findDockerd(): string {
  for (const dir of [
    ...(process.env.PATH ?? '').split(':'),
    '/usr/sbin',
    '/usr/bin',
    '/usr/local/bin',
    '/sbin',
  ]) {
    if (dir !== '' && existsSync(join(dir, 'dockerd'))) return join(dir, 'dockerd');
  }
  throw new Error(INSTALL_HINT);
}

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Builds the worker image on the engine (kept when its digest label is current). */
async function buildImage(host: string): Promise<void> {
  const script = join(packageDir, 'scripts', 'build-worker-image.mjs');
  for (const bundle of ['worker.js', 'pull-worker.js']) {
    if (!existsSync(join(packageDir, 'dist', bundle))) {
      throw new Error(
        `packages/adapters-docker/dist/${bundle} is missing: build first (\`pnpm build\` at the root, or ` +
          "`pnpm --filter '@scanplane/docker...' build`)",
      );
    }
  }
  try {
    await execFile(process.execPath, [script, '--tag', TEST_IMAGE, '--quiet'], {
      env: { ...process.env, DOCKER_HOST: host },
      timeout: 170_000,
    });
  } catch (error) {
    throw new Error(
      `building ${TEST_IMAGE} failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`,
    );
  }
}

/** Mount points under a directory, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function startOwnDaemon(): Promise<TestEngine> {
  const dockerd = findDockerd();
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the tests start their own dockerd, which needs root: run them as root, or set DOCKER_HOST to a running engine',
    );
  }
  // A short path: containerd's sockets live under the exec root, and Unix socket paths are limited to 108 bytes.
  const dir = mkdtempSync('/tmp/spd-');
  const socketPath = join(dir, 'docker.sock');
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn(
    dockerd,
    [
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--userland-proxy=false',
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${socketPath}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  // A process that exits without stop() (process.exit, a crash) still kills its daemon and frees the directory.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    for (const point of mountsUnder(dir)) {
      try {
        execFileSync('umount', ['-l', point]);
      } catch {
        // best effort
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const docker = new Docker({ socketPath });
  const deadline = Date.now() + 60_000;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  while (!(await answers(docker))) {
    if (exited !== undefined || Date.now() > deadline) {
      child.kill('SIGKILL');
      const tail = readFileSync(join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(
        `dockerd did not start (${exited === undefined ? 'timed out' : `exit ${exited}`}):\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const host = `unix://${socketPath}`;
  let stopped = false;
  return {
    host,
    socketPath,
    docker,
    owned: true,
    image: TEST_IMAGE,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', killOnExit);
      try {
        const containers = await docker.listContainers({ all: true });
        await Promise.all(
          containers.map((c) =>
            docker
              .getContainer(c.Id)
              .remove({ force: true })
              .catch(() => undefined),
          ),
        );
      } catch {
        // the daemon is gone already
      }
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // dockerd leaves bind mounts (its network namespace) under the exec root: unmount them before removing it.
      for (const point of mountsUnder(dir)) await execFile('umount', ['-l', point]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** DOCKER_HOST's engine when set (checked to answer), else a throwaway dockerd; the worker image built on it. */
export async function startTestEngine(): Promise<TestEngine> {
  const configured = process.env.DOCKER_HOST;
  let engine: TestEngine;
  if (configured === undefined || configured === '') {
    engine = await startOwnDaemon();
  } else {
    if (!configured.startsWith('unix://')) {
      throw new Error(
        `DOCKER_HOST=${configured}: the tests need a local engine on a Unix socket (unix:///…)`,
      );
    }
    const socketPath = configured.slice('unix://'.length);
    const docker = new Docker({ socketPath });
    if (!(await answers(docker))) {
      throw new Error(
        `DOCKER_HOST (${configured}) does not answer. Start the engine there (dockerd --bridge=none --iptables=false ` +
          `--ip-forward=false -H ${configured} …), or unset DOCKER_HOST to let the tests start their own dockerd.`,
      );
    }
    engine = {
      host: configured,
      socketPath,
      docker,
      owned: false,
      image: TEST_IMAGE,
      stop: async () => undefined,
    };
  }
  try {
    await buildImage(engine.host);
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}

/** A unique owner per test, so launchers of different tests (and files) never see each other's containers. */
export function uniqueOwner(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
