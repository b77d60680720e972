import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { LaunchDescription, LauncherEvent, TaskLauncher } from '../ports/task-launcher.js';
import type { ScanTask, TaskHandle } from '../tasks/task.js';
import {
  type ConformanceContext,
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
  sampleScanTask,
} from './conformance-harness.js';

/**
 * What a conformance task asks its worker to do, in `task.payload.behaviour`: `succeed` (return a result), `fail`
 * (fail the attempt: throw, or exit non-zero) or `hang` (keep running until stopped: for a handler, until its
 * signal aborts). The worker an adapter launches under the launcher suite must honour it, and write at least one line
 * of output per task.
 *
 * @example
 * ```ts
 * import type { TaskHandler } from '@scanplane/core';
 * import type { ConformanceBehaviour } from '@scanplane/core/testing';
 * const handler: TaskHandler = async (task, { signal, log }) => {
 *   const behaviour = task.payload?.['behaviour'] as ConformanceBehaviour;
 *   log(`conformance: ${behaviour}`);
 *   if (behaviour === 'fail') throw new Error('asked to fail');
 *   if (behaviour === 'hang') await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
 *   return { ok: true };
 * };
 * ```
 */
export type ConformanceBehaviour = 'succeed' | 'fail' | 'hang';

/**
 * What the launcher suite's `create` returns: a launcher that has launched nothing, whose workers honour
 * {@link ConformanceBehaviour}, and optionally how to clean up. After each test the suite stops what the test
 * launched and closes the launcher, then calls `cleanup`.
 *
 * @example
 * ```ts
 * import { createInProcessLauncher } from '@scanplane/core';
 * import type { LauncherSubject } from '@scanplane/core/testing';
 * const subject: LauncherSubject = {
 *   launcher: createInProcessLauncher({ handler: async () => ({ ok: true }) }),
 * };
 * ```
 */
export interface LauncherSubject extends ConformanceSubject {
  /** The launcher under test; it must run at least two tasks at once. */
  launcher: TaskLauncher;
}

/**
 * Options for {@link runLauncherConformance}. Tests of a capability the launcher does not have (`events`, `stop`,
 * `logs`) fail with a message asking to skip them: list them in `skip` with the reason.
 *
 * @example
 * ```ts
 * import { createInProcessLauncher } from '@scanplane/core';
 * import { sampleScanTask, type LauncherConformanceOptions } from '@scanplane/core/testing';
 * const options: LauncherConformanceOptions = {
 *   name: 'in-process',
 *   create: async () => ({ launcher: createInProcessLauncher({ handler: async () => ({ ok: true }) }) }),
 *   task: (behaviour) => sampleScanTask({ kind: 'conformance-worker', payload: { behaviour } }),
 * };
 * ```
 */
export interface LauncherConformanceOptions extends ConformanceOptions<LauncherSubject> {
  /**
   * Makes the task launched for a behaviour (an image name, a kind the launcher maps to a worker). It must carry
   * `payload.behaviour` and a fresh id each call. Default: {@link sampleScanTask} with `payload: { behaviour }`.
   */
  task?: (behaviour: ConformanceBehaviour) => ScanTask;
  /** The id of a handle the launcher never issued, for `describe`. Default `scanplane-conformance-missing-<uuid>`. */
  unknownHandleId?: string;
}

/** A launched task and its handle. */
interface Launched {
  task: ScanTask;
  handle: TaskHandle;
}

const skipHint = (what: string): string =>
  `the launcher reports ${what}: list this test in the suite's skip option with that reason`;

/**
 * Registers the conformance tests of the {@link TaskLauncher} port: launch results and handles, `started` then
 * `finished` events for a task that succeeds and a `failed` event with a real error for one that fails, `stop` of a
 * hanging task (and stopping twice, or stopping a finished task, is not an error), `describe` (including unknown
 * handles: `missing`), `logs`, `running`, unsubscribing from events, and `health`. The launcher's workers must honour
 * {@link ConformanceBehaviour}: for the in-process launcher, pass a handler that reads `task.payload.behaviour`; for
 * a container launcher, an image whose worker does. `create` is called once per test.
 *
 * @example
 * ```ts
 * import { createInProcessLauncher, type TaskHandler } from '@scanplane/core';
 * import { runLauncherConformance } from '@scanplane/core/testing';
 *
 * const handler: TaskHandler = async (task, { signal, log }) => {
 *   log(`behaviour ${String(task.payload?.['behaviour'])}`);
 *   if (task.payload?.['behaviour'] === 'fail') throw new Error('asked to fail');
 *   if (task.payload?.['behaviour'] === 'hang') {
 *     await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
 *   }
 *   return { ok: true };
 * };
 * runLauncherConformance({ name: 'in-process', create: async () => ({ launcher: createInProcessLauncher({ handler }) }) });
 * ```
 */
export function runLauncherConformance(options: LauncherConformanceOptions): void {
  const makeTask = options.task ?? ((behaviour) => sampleScanTask({ payload: { behaviour } }));
  const launched = new WeakMap<TaskLauncher, TaskHandle[]>();

  /** Launches one task per behaviour and returns each task with its handle; they are stopped after the test. */
  const launch = async (
    launcher: TaskLauncher,
    behaviours: readonly ConformanceBehaviour[],
  ): Promise<Launched[]> => {
    const tasks = behaviours.map((behaviour) => makeTask(behaviour));
    const results = await launcher.launch(tasks);
    const out: Launched[] = [];
    for (const task of tasks) {
      const result = results.find((candidate) => candidate.taskId === task.id);
      expect(result, `a launch result for task ${task.id}`).toBeDefined();
      if (result?.ok !== true) {
        throw new Error(`launching task ${task.id} failed: ${JSON.stringify(result)}`);
      }
      launched.get(launcher)?.push(result.handle);
      out.push({ task, handle: result.handle });
    }
    return out;
  };
  const launchOne = async (launcher: TaskLauncher, behaviour: ConformanceBehaviour): Promise<Launched> =>
    (await launch(launcher, [behaviour]))[0] as Launched;

  const describeOne = async (launcher: TaskLauncher, handle: TaskHandle): Promise<LaunchDescription> => {
    const [description] = await launcher.describe([handle]);
    expect(description, `a description of ${handle.id}`).toBeDefined();
    return description as LaunchDescription;
  };

  const stateIs =
    (launcher: TaskLauncher, handle: TaskHandle, state: LaunchDescription['state']) => async () =>
      (await describeOne(launcher, handle)).state === state;

  /** Records the events of every task. */
  const listen = (launcher: TaskLauncher, context: ConformanceContext) => {
    const events: LauncherEvent[] = [];
    const off = launcher.onEvent((event) => events.push(event));
    context.defer(off);
    const of = (taskId: string) => events.filter((event) => event.taskId === taskId);
    const types = (taskId: string) => of(taskId).map((event) => event.event.type);
    return { events, of, types };
  };

  defineConformanceSuite(
    'TaskLauncher',
    options,
    {
      timeoutMs: 180_000,
      teardown: async ({ launcher }) => {
        const errors: unknown[] = [];
        for (const handle of launched.get(launcher) ?? []) {
          try {
            await launcher.stop(handle, { reason: 'conformance: test over', graceMs: 1_000 });
          } catch (error) {
            errors.push(error);
          }
        }
        await launcher.close();
        if (errors.length > 0) throw new AggregateError(errors, 'stopping launched tasks failed');
      },
    },
    (register) => {
      const test: typeof register = (name, body) =>
        register(name, async (subject, context) => {
          launched.set(subject.launcher, []);
          await body(subject, context);
        });

      test('launch returns ok with a handle per task', async ({ launcher }) => {
        const tasks = [makeTask('succeed'), makeTask('succeed'), makeTask('fail')];
        const results = await launcher.launch(tasks);
        expect(results).toHaveLength(tasks.length);
        const handles: TaskHandle[] = [];
        for (const task of tasks) {
          const result = results.find((candidate) => candidate.taskId === task.id);
          expect(result, `the result for ${task.id}`).toMatchObject({ taskId: task.id, ok: true });
          if (result?.ok === true) {
            launched.get(launcher)?.push(result.handle);
            handles.push(result.handle);
            expect(result.handle.launcher).toBe(launcher.name);
            expect(typeof result.handle.id).toBe('string');
            expect(result.handle.id).not.toBe('');
          }
        }
        expect(new Set(handles.map((handle) => handle.id)).size).toBe(tasks.length);
      });

      test('a succeeding task reports started and finished, never failed', async ({ launcher }, context) => {
        expect(launcher.capabilities.events, skipHint('capabilities.events false')).toBe(true);
        const seen = listen(launcher, context);
        const { task, handle } = await launchOne(launcher, 'succeed');
        await context.until(() => seen.types(task.id).includes('finished'), 'the finished event');
        await context.until(() => seen.types(task.id).includes('started'), 'the started event');
        expect(seen.types(task.id)).not.toContain('failed');
        for (const event of seen.of(task.id)) {
          expect(event.handle.id).toBe(handle.id);
          expect(typeof event.event.at).toBe('number');
        }
        await context.until(stateIs(launcher, handle, 'stopped'), 'describe to report stopped');
        const description = await describeOne(launcher, handle);
        if (description.exitCode !== undefined) expect(description.exitCode).toBe(0);
        if (description.taskId !== undefined) expect(description.taskId).toBe(task.id);
      });

      test('a task reports started before it reports its end', async ({ launcher }, context) => {
        expect(launcher.capabilities.events, skipHint('capabilities.events false')).toBe(true);
        const seen = listen(launcher, context);
        const runs = await launch(launcher, ['succeed', 'fail']);
        for (const { task } of runs) {
          await context.until(
            () => seen.types(task.id).some((type) => type === 'finished' || type === 'failed'),
            `the end event of ${task.payload?.['behaviour']}`,
          );
          const types = seen.types(task.id);
          const end = types.findIndex((type) => type === 'finished' || type === 'failed');
          expect(
            types.indexOf('started'),
            `events of a ${task.payload?.['behaviour']} task: ${types}`,
          ).toBeGreaterThanOrEqual(0);
          expect(types.indexOf('started')).toBeLessThan(end);
        }
      });

      test('a failing task reports failed with an error code and message', async ({ launcher }, context) => {
        expect(launcher.capabilities.events, skipHint('capabilities.events false')).toBe(true);
        const seen = listen(launcher, context);
        const { task, handle } = await launchOne(launcher, 'fail');
        await context.until(() => seen.types(task.id).includes('failed'), 'the failed event');
        expect(seen.types(task.id)).not.toContain('finished');
        const failed = seen.of(task.id).find((event) => event.event.type === 'failed') as LauncherEvent;
        const error = failed.event.error;
        expect(error, 'the failed event carries an error').toBeDefined();
        expect(typeof error?.code).toBe('string');
        expect(error?.code).not.toBe('');
        expect(typeof error?.message).toBe('string');
        expect(error?.message).not.toBe('');
        await context.until(stateIs(launcher, handle, 'stopped'), 'describe to report stopped');
        const description = await describeOne(launcher, handle);
        if (description.exitCode !== undefined) expect(description.exitCode).not.toBe(0);
      });

      test('stop ends a hanging task; stopping it again or stopping a finished task is not an error', async ({
        launcher,
      }, context) => {
        expect(launcher.capabilities.stop, skipHint('capabilities.stop false')).toBe(true);
        const hang = await launchOne(launcher, 'hang');
        const done = await launchOne(launcher, 'succeed');
        await context.until(stateIs(launcher, hang.handle, 'running'), 'the hanging task to run');
        await launcher.stop(hang.handle, { reason: 'conformance: stop', graceMs: 1_000 });
        await context.until(stateIs(launcher, hang.handle, 'stopped'), 'the hanging task to stop');
        await launcher.stop(hang.handle, { reason: 'conformance: stop again', graceMs: 1_000 });
        await context.until(stateIs(launcher, done.handle, 'stopped'), 'the succeeding task to end');
        await launcher.stop(done.handle, { reason: 'conformance: stop a finished task', graceMs: 1_000 });
        expect((await describeOne(launcher, hang.handle)).state).toBe('stopped');
        await context.until(async () => (await launcher.running()) === 0, 'nothing running');
      });

      test('describe reports an unknown handle as missing', async ({ launcher }, context) => {
        const unknown: TaskHandle = {
          launcher: launcher.name,
          id: options.unknownHandleId ?? `scanplane-conformance-missing-${randomUUID()}`,
        };
        const { handle } = await launchOne(launcher, 'succeed');
        await context.until(stateIs(launcher, handle, 'stopped'), 'the task to end');
        const descriptions = await launcher.describe([handle, unknown]);
        expect(descriptions).toHaveLength(2);
        const known = descriptions.find((description) => description.handle.id === handle.id);
        const missing = descriptions.find((description) => description.handle.id === unknown.id);
        expect(known?.state).toBe('stopped');
        expect(missing?.state).toBe('missing');
      });

      test('logs returns the output lines of a launched task', async ({ launcher }, context) => {
        expect(launcher.capabilities.logs, skipHint('capabilities.logs false')).toBe(true);
        const { handle } = await launchOne(launcher, 'succeed');
        await context.until(stateIs(launcher, handle, 'stopped'), 'the task to end');
        await context.until(async () => (await launcher.logs(handle)).length > 0, 'a line of output');
        for (const line of await launcher.logs(handle)) {
          expect(typeof line.at).toBe('number');
          expect(['stdout', 'stderr']).toContain(line.stream);
          expect(typeof line.text).toBe('string');
        }
        expect(await launcher.logs(handle, { tail: 1 })).toHaveLength(1);
      });

      test('running counts the launched tasks that run now', async ({ launcher }, context) => {
        expect(await launcher.running()).toBe(0);
        const runs = await launch(launcher, ['hang', 'hang']);
        await context.until(async () => (await launcher.running()) === 2, 'two running tasks');
        for (const { handle } of runs)
          await launcher.stop(handle, { reason: 'conformance: stop', graceMs: 1_000 });
        await context.until(async () => (await launcher.running()) === 0, 'nothing running');
      });

      test('onEvent returns an unsubscribe function that stops deliveries', async ({ launcher }, context) => {
        expect(launcher.capabilities.events, skipHint('capabilities.events false')).toBe(true);
        const dropped: LauncherEvent[] = [];
        const off = launcher.onEvent((event) => dropped.push(event));
        const seen = listen(launcher, context);
        off();
        const { task } = await launchOne(launcher, 'succeed');
        await context.until(() => seen.types(task.id).includes('finished'), 'the finished event');
        expect(dropped).toEqual([]);
      });

      test('health reports ok', async ({ launcher }) => {
        const report = await launcher.health();
        expect(report.ok).toBe(true);
        expect(typeof report.component).toBe('string');
        expect(report.component).not.toBe('');
        expect(typeof report.detail).toBe('string');
      });
    },
  );
}
