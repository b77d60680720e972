/**
 * Benchmark: `@scanplane/fargate` under RunTask's limits, against the local ECS endpoint of the package's tests
 * (packages/adapters-fargate/test/support/local-ecs.ts: the AWS JSON 1.1 protocol over HTTP on 127.0.0.1, driven by the
 * real AWS SDK v3), which enforces RunTask's quota as a token bucket: LIMIT = 20 calls per second, burst 20, and
 * answers a call over it with HTTP 400 `ThrottlingException`.
 *
 * Run with `pnpm bench:fargate` after building the packages (`cd packages/core && pnpm build`, then
 * `cd packages/adapters-fargate && pnpm build`): it imports the BUILT launcher, `packages/adapters-fargate/dist/index.js`.
 *
 * WORKLOAD, in one run, on one endpoint: TASKS = 1,000 scan tasks (each a short task that exits 0).
 * - push: `launcher.launch(tasks)` — one RunTask call per task (overrides apply to every task of a call), the
 *   launcher's client-side limiter at 20 calls per second (burst 10), throttling retried with backoff, a clientToken
 *   per task and attempt.
 * - naive: the same 1,000 RunTask calls from a plain `ECSClient` (the SDK's default `standard` retries, 3 attempts),
 *   20 in flight, no limiter; an error that reaches the loop is counted and the call repeated after 50 ms.
 * - pull: the same 1,000 tasks waiting in a queue; `createFargateWorkerPool` (max 100 workers, 10 tasks per worker)
 *   rescales every 100 ms until the queue is served; each worker takes tasks one by one until the queue is empty and
 *   exits 0.
 *
 * METRICS (one JSON goal line each, printed last):
 * - push_runtask_rate_fraction_of_limit = (RunTask calls accepted ÷ seconds from the first launch to the last result)
 *   ÷ 20. Goal: at least 0.9.
 * - runtask_calls_push_over_pull = RunTask calls of push mode ÷ RunTask calls of pull mode. Goal: at least 5.
 *
 * CORRECTNESS (exit 1, no goal line, if any check fails): push mode returns 1,000 ok results, none an error (so no
 * throttling error reached the caller); the endpoint created exactly 1,000 tasks for push mode, each scan task exactly
 * once (by SCANPLANE_TASK_ID); every pushed task reached STOPPED with exit 0; pull mode served each of the 1,000 queued
 * tasks exactly once. The naive loop's throttling (responses and errors reaching the loop) is printed, not checked.
 *
 * NOISE: the endpoint and the SDK share this process and its event loop; achieved rates depend on timers' precision.
 */
import { createFargateLauncher, createFargateWorkerPool } from '../packages/adapters-fargate/dist/index.js';
import { type LocalTask, startLocalEcs } from '../packages/adapters-fargate/test/support/local-ecs.js';
import { naiveRunTaskLoop } from '../packages/adapters-fargate/test/support/naive-loop.js';
import type { ScanTask } from '../packages/core/dist/index.js';
import {
  createChecks,
  elapsedMs,
  formatMs,
  type Goal,
  meetsGoal,
  now,
  printGoal,
} from './support/measure.js';

const TASKS = 1_000;
const LIMIT = 20;
const checks = createChecks('    ');
/** A queued scan task of the workload. */
const scanTask = (index: number): ScanTask => {
  const at = Date.now();
  return {
    id: `bench-${index.toString().padStart(4, '0')}-${at.toString(36)}`,
    project: 'bench',
    kind: 'diagnostic',
    status: 'queued',
    attempt: 1,
    maxAttempts: 3,
    priority: 0,
    idempotencyKey: `bench-${index}`,
    version: 1,
    timeouts: { startMs: 60_000, runMs: 600_000 },
    createdAt: at,
    updatedAt: at,
    history: [],
  } as unknown as ScanTask;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const queue: string[] = [];
  const served = new Map<string, number>();
  const ecs = await startLocalEcs({
    runTaskRate: { perSecond: LIMIT, burst: LIMIT },
    stepMs: 2,
    plan: (task: LocalTask) =>
      task.startedBy === 'bench-workers'
        ? {
            kind: 'run',
            run: async () => {
              for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
                served.set(id, (served.get(id) ?? 0) + 1);
                await sleep(1);
              }
              return { exitCode: 0 };
            },
          }
        : { kind: 'exit', exitCode: 0, runMs: 2 },
  });
  try {
    const placement = {
      ecsConfig: ecs.clientConfig,
      cluster: 'bench',
      taskDefinition: 'scanplane-worker:1',
      containerName: 'worker',
      subnets: ['subnet-0a1b2c3d'],
    };

    // Push mode through the launcher.
    console.log(`push: ${TASKS} tasks through createFargateLauncher (limit ${LIMIT} RunTask calls/s)`);
    const launcher = createFargateLauncher({ ...placement, startedBy: 'bench-push' });
    let launcherRetries = 0;
    launcher.events.on('retry', () => launcherRetries++);
    const tasks = Array.from({ length: TASKS }, (_, index) => scanTask(index));
    const callsBefore = ecs.stats.runTaskCalls;
    const throttledBefore = ecs.stats.runTaskThrottled;
    const pushStart = now();
    const results = await launcher.launch(tasks);
    const pushMs = elapsedMs(pushStart);
    const pushCalls = ecs.stats.runTaskCalls - callsBefore;
    const pushThrottled = ecs.stats.runTaskThrottled - throttledBefore;
    const accepted = pushCalls - pushThrottled;
    const rate = accepted / (pushMs / 1000);
    console.log(
      `    ${formatMs(pushMs)}, ${pushCalls} RunTask calls (${pushThrottled} throttled, ${launcherRetries} retries), ${rate.toFixed(2)} calls/s`,
    );
    const failures = results.filter((result) => !result.ok);
    checks.check(
      results.length === TASKS && failures.length === 0,
      'push: every launch ok, no error reached the caller',
      `${failures.length} failed${failures[0] && !failures[0].ok ? `: ${failures[0].error.message}` : ''}`,
    );
    const pushed = [...ecs.tasks.values()].filter((task) => task.startedBy === 'bench-push');
    const once = tasks.every((task) => ecs.stats.launchesByTaskId.get(task.id) === 1);
    checks.check(
      pushed.length === TASKS && once,
      'push: every task launched exactly once',
      `${pushed.length} ECS tasks`,
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && pushed.some((task) => task.lastStatus !== 'STOPPED')) await sleep(50);
    checks.check(
      pushed.every((task) => task.lastStatus === 'STOPPED' && task.exitCode === 0),
      'push: every task ran and stopped with exit 0',
    );
    await launcher.close();

    // The naive loop: no limiter, the SDK's default retries.
    console.log(`naive: ${TASKS} RunTask calls from a plain ECSClient, 20 in flight, no limiter`);
    const naiveBefore = ecs.stats.runTaskCalls;
    const naiveThrottledBefore = ecs.stats.runTaskThrottled;
    const naiveStart = now();
    const { errorsToLoop } = await naiveRunTaskLoop({
      clientConfig: ecs.clientConfig,
      calls: TASKS,
      concurrency: 20,
      startedBy: 'bench-naive',
    });
    const naiveMs = elapsedMs(naiveStart);
    const naiveCalls = ecs.stats.runTaskCalls - naiveBefore;
    const naiveThrottled = ecs.stats.runTaskThrottled - naiveThrottledBefore;
    console.log(
      `    ${formatMs(naiveMs)}, ${naiveCalls} RunTask calls, ${naiveThrottled} throttled, ${errorsToLoop} throttling errors reached the loop, ${((naiveCalls - naiveThrottled) / (naiveMs / 1000)).toFixed(2)} accepted calls/s`,
    );

    // Pull mode: the same number of tasks, queued, served by pooled workers.
    console.log(
      `pull: ${TASKS} queued tasks served by createFargateWorkerPool (max 100, 10 tasks per worker)`,
    );
    for (const task of tasks) queue.push(task.id);
    const pool = createFargateWorkerPool({
      ...placement,
      startedBy: 'bench-workers',
      queue: { depth: async () => queue.length },
      max: 100,
      tasksPerWorker: 10,
    });
    let pullCalls = 0;
    const pullStart = now();
    const pullDeadline = Date.now() + 60_000;
    while (queue.length > 0 && Date.now() < pullDeadline) {
      pullCalls += (await pool.scale()).calls;
      await sleep(100);
    }
    await pool.close();
    const pullMs = elapsedMs(pullStart);
    const workers = [...ecs.tasks.values()].filter((task) => task.startedBy === 'bench-workers').length;
    console.log(`    ${formatMs(pullMs)}, ${pullCalls} RunTask calls, ${workers} workers`);
    checks.check(
      served.size === TASKS && [...served.values()].every((count) => count === 1),
      'pull: every queued task served exactly once',
      `${served.size} served`,
    );
    checks.check(pullCalls > 0, 'pull: workers were launched');
    checks.stopIfFailed();

    const goals: Goal[] = [
      {
        bench: 'fargate',
        metric: 'push_runtask_rate_fraction_of_limit',
        value: rate / LIMIT,
        goal: 0.9,
        better: 'higher',
      },
      {
        bench: 'fargate',
        metric: 'runtask_calls_push_over_pull',
        value: pushCalls / pullCalls,
        goal: 5,
        better: 'higher',
      },
    ];
    for (const goal of goals) {
      console.log(
        `    ${goal.metric}: ${goal.value.toFixed(3)} (goal ${goal.better === 'higher' ? '≥' : '≤'} ${goal.goal}) ${meetsGoal(goal) ? 'met' : 'NOT met'}`,
      );
    }
    for (const goal of goals) printGoal(goal, 3);
  } finally {
    await ecs.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
