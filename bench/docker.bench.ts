/**
 * Benchmark: `@scanplane/docker`'s launcher against the `docker run` CLI, launch to finished, for the same short
 * containers, at the same concurrency, on the same image and daemon, in one run.
 *
 * Run with `pnpm bench:docker` after building the packages (`cd packages/core && pnpm build`, then
 * `cd packages/adapters-docker && pnpm build`): it imports the BUILT launcher, `packages/adapters-docker/dist/index.js`,
 * like a user of the published package would. It needs a Docker Engine: DOCKER_HOST (a `unix://` socket) if set,
 * else it starts a throwaway `dockerd` in a temporary directory (as root; --bridge=none --iptables=false
 * --ip-forward=false, so the host's firewall is never touched) and stops it at the end. Either way it first builds the
 * worker image on that daemon (packages/adapters-docker/scripts/build-worker-image.mjs: no registry, nothing pulled).
 * It needs the `docker` CLI on PATH for the CLI side.
 *
 * WORKLOAD: CONTAINERS = 20 short containers per run, each the worker image running the `diagnostic` kind with
 * `behaviour: succeed` (node starts, prints a line and its `SCANPLANE_RESULT` line, exits 0: ~100 ms of work),
 * `--init`, `--network none`, the command options in SCANPLANE_COMMAND_OPTIONS. At most CONCURRENCY = 5 in flight on
 * either side: a pump starts the next container when one has finished.
 * - launcher: `launcher.launch([task])` (create, attach, start through the Engine API) and the task counts as done at
 *   its `finished` platform event (the event stream's `die`, the container inspected, the output collected, the
 *   result parsed). Clean-up is `keep: Infinity` during the timed run, like the CLI side without `--rm`: both sides
 *   leave their containers, removed untimed after the run.
 * - CLI: `docker run --init --network none -e SCANPLANE_COMMAND_OPTIONS=… <image>` as a child process; done when the
 *   process exits (the CLI creates, attaches, starts, waits and prints the output).
 *
 * METRIC (one JSON goal line, printed last): launch_to_finished_ratio_vs_docker_run = median over ROUNDS = 3 rounds of
 * (launcher time for 20 ÷ CLI time for 20), the two sides alternating order each round, after one untimed, checked
 * warm-up run of each side (the image's first start warms the daemon's caches). Goal: at most 1.2 (lower is better).
 *
 * CORRECTNESS (exit 1, no goal line, if any check fails): every launcher task reports started then finished with the
 * result `{ ok: true, behaviour: 'succeed' }`, never failed; every CLI run exits 0 and prints the SCANPLANE_RESULT
 * line; after each run, the daemon holds exactly CONTAINERS exited containers of that side, all with exit code 0.
 *
 * NOISE: dockerd, containerd, runc and the node processes share this machine's cores with other work; the per-round
 * times are printed to judge the spread.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createDockerLauncher, type DockerLauncher } from '../packages/adapters-docker/dist/index.js';
import { startTestEngine, type TestEngine } from '../packages/adapters-docker/test/support/docker-engine.js';
import type { LauncherEvent, ScanTask } from '../packages/core/dist/index.js';
import {
  createChecks,
  elapsedMs,
  formatMs,
  type Goal,
  median,
  meetsGoal,
  now,
  printGoal,
  settleHeap,
} from './support/measure.js';

const CONTAINERS = 20;
const CONCURRENCY = 5;
const ROUNDS = 3;
const WARMUP = 5;
const checks = createChecks('    ');
let failed = false;
/** One correctness check (see `createChecks`), remembered so the daemon is stopped before a failed run exits. */
function check(ok: boolean, what: string, detail?: string): void {
  if (!ok) failed = true;
  checks.check(ok, what, detail);
}
/** Exits 1 with every failure if a check failed, after stopping the throwaway daemon (the exit skips `finally`). */
async function stopIfFailed(engine: TestEngine): Promise<void> {
  if (!failed) return;
  await engine.stop();
  checks.stopIfFailed();
}

function taskFor(owner: string, index: number): ScanTask {
  const at = Date.now();
  return {
    id: randomUUID(),
    project: `bench-${owner}`,
    kind: 'diagnostic',
    status: 'requested',
    attempt: 0,
    maxAttempts: 1,
    priority: 1,
    idempotencyKey: `bench:${owner}:${index}`,
    version: 1,
    timeouts: { startMs: 60_000, leaseMs: 30_000, runMs: 60_000 },
    createdAt: at,
    history: [],
    payload: { arguments: { behaviour: 'succeed' } },
  };
}

/** Runs `count` jobs, at most CONCURRENCY at once; resolves when all are done. */
async function pump(count: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, lane));
}

/**
 * The containers carrying a label, with their exit codes (-1: not exited). The daemon's container list can trail its
 * `die` event by a moment, so this waits up to 5 s for every container to show as exited.
 */
async function exitedWith(engine: TestEngine, label: string): Promise<number[]> {
  let list = await engine.docker.listContainers({ all: true, filters: { label: [label] } });
  for (let waited = 0; waited < 5000 && list.some((c) => c.State !== 'exited'); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    list = await engine.docker.listContainers({ all: true, filters: { label: [label] } });
  }
  return Promise.all(
    list.map(async (c) =>
      c.State === 'exited' ? (await engine.docker.getContainer(c.Id).inspect()).State.ExitCode : -1,
    ),
  );
}

async function removeLabelled(engine: TestEngine, label: string): Promise<void> {
  const list = await engine.docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => engine.docker.getContainer(c.Id).remove({ force: true })));
}

async function launcherRun(engine: TestEngine, count: number, label: string): Promise<number> {
  const owner = `bench-${randomUUID().slice(0, 8)}`;
  const launcher: DockerLauncher = createDockerLauncher({
    socketPath: engine.socketPath,
    image: engine.image,
    owner,
    network: 'none',
    cleanup: { keep: Number.POSITIVE_INFINITY },
    reapIntervalMs: 0,
  });
  const seen = new Map<string, LauncherEvent[]>();
  const waiters = new Map<string, () => void>();
  launcher.onEvent((event) => {
    const list = seen.get(event.taskId) ?? [];
    list.push(event);
    seen.set(event.taskId, list);
    if (event.event.type !== 'started') waiters.get(event.taskId)?.();
  });
  await launcher.reconcile(); // connects the event stream and settles the start-up reconciliation, untimed
  const tasks = Array.from({ length: count }, (_, i) => taskFor(owner, i));
  const start = now();
  await pump(count, async (i) => {
    const task = tasks[i] as ScanTask;
    const ended = new Promise<void>((resolve) => waiters.set(task.id, resolve));
    const [result] = await launcher.launch([task]);
    if (result?.ok !== true) throw new Error(`launch failed: ${JSON.stringify(result)}`);
    await ended;
  });
  const ms = elapsedMs(start);
  await launcher.close();
  let good = 0;
  for (const task of tasks) {
    const events = seen.get(task.id) ?? [];
    const types = events.map((event) => event.event.type).join(',');
    const finished = events.find((event) => event.event.type === 'finished');
    const result = finished?.event.result as { ok?: boolean; behaviour?: string } | undefined;
    if (types === 'started,finished' && result?.ok === true && result.behaviour === 'succeed') good++;
  }
  check(
    good === count,
    `${label}: ${count} tasks started then finished with the worker's result`,
    `${good}/${count}`,
  );
  const codes = await exitedWith(engine, `io.scanplane.owner=${owner}`);
  check(
    codes.length === count && codes.every((code) => code === 0),
    `${label}: ${count} exited containers, exit code 0`,
    `${codes.length} containers, codes ${[...new Set(codes)].join(',')}`,
  );
  await removeLabelled(engine, `io.scanplane.owner=${owner}`);
  return ms;
}

function dockerRun(
  engine: TestEngine,
  label: string,
  options: string,
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      [
        'run',
        '--init',
        '--network',
        'none',
        '--label',
        label,
        '-e',
        `SCANPLANE_COMMAND_OPTIONS=${options}`,
        engine.image,
      ],
      { env: { ...process.env, DOCKER_HOST: engine.host } },
      (error, stdout) =>
        resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout }),
    );
  });
}

async function cliRun(engine: TestEngine, count: number, label: string): Promise<number> {
  const runLabel = `scanplane-bench-cli=${randomUUID().slice(0, 8)}`;
  const options = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      taskId: randomUUID(),
      kind: 'diagnostic',
      project: 'bench',
      attempt: 0,
      arguments: { behaviour: 'succeed', i },
    }),
  );
  const outcomes: Array<{ code: number; stdout: string }> = [];
  const start = now();
  await pump(count, async (i) => {
    outcomes[i] = await dockerRun(engine, runLabel, options[i] as string);
  });
  const ms = elapsedMs(start);
  const good = outcomes.filter(
    (o) => o.code === 0 && o.stdout.includes('SCANPLANE_RESULT {"ok":true'),
  ).length;
  check(
    good === count,
    `${label}: ${count} docker run processes exited 0 with the result line`,
    `${good}/${count}`,
  );
  const codes = await exitedWith(engine, runLabel);
  check(
    codes.length === count && codes.every((code) => code === 0),
    `${label}: ${count} exited containers, exit code 0`,
    `${codes.length} containers`,
  );
  await removeLabelled(engine, runLabel);
  return ms;
}

async function main(): Promise<void> {
  const engine = await startTestEngine();
  const stop = async (): Promise<void> => {
    await engine.stop();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    const version = await engine.docker.version();
    console.log(
      `bench:docker — ${CONTAINERS} containers per run, ${CONCURRENCY} at once, ${ROUNDS} rounds; Docker ${version.Version} (API ${version.ApiVersion}) at ${engine.host}${engine.owned ? ' (throwaway dockerd)' : ''}; image ${engine.image}`,
    );
    console.log('  warm-up (untimed):');
    await launcherRun(engine, WARMUP, 'warm-up launcher');
    await cliRun(engine, WARMUP, 'warm-up docker run');
    await stopIfFailed(engine);
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      console.log(`  round ${round + 1}:`);
      const times: Record<'launcher' | 'cli', number> = { launcher: 0, cli: 0 };
      const order: Array<'launcher' | 'cli'> = round % 2 === 0 ? ['launcher', 'cli'] : ['cli', 'launcher'];
      for (const side of order) {
        await settleHeap();
        times[side] =
          side === 'launcher'
            ? await launcherRun(engine, CONTAINERS, 'launcher')
            : await cliRun(engine, CONTAINERS, 'docker run');
      }
      await stopIfFailed(engine);
      const ratio = times.launcher / times.cli;
      ratios.push(ratio);
      console.log(
        `    launcher ${formatMs(times.launcher)} (${formatMs(times.launcher / CONTAINERS)}/container), docker run ${formatMs(times.cli)} (${formatMs(times.cli / CONTAINERS)}/container): ratio ${ratio.toFixed(3)}`,
      );
    }
    const goal: Goal = {
      bench: 'docker',
      metric: 'launch_to_finished_ratio_vs_docker_run',
      value: median(ratios),
      goal: 1.2,
      better: 'lower',
    };
    console.log(
      `  median ratio ${goal.value.toFixed(3)}: goal ${meetsGoal(goal) ? 'met' : 'MISSED'} (≤ ${goal.goal})`,
    );
    printGoal(goal, 3);
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
