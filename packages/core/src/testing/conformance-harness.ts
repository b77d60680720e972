/**
 * The shared harness of the conformance suites: options, skips, the per-test subject lifecycle, and helpers.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, type NewTask, type ScanTask } from '../tasks/task.js';

/**
 * Tests a conformance run leaves out, and why. The reason is part of the name of the test registered in their
 * place (`skipped: <name> — <reason>`), and that test fails when the reason is empty; naming a test the suite does
 * not have fails too, so a renamed test cannot be skipped by accident.
 *
 * @example
 * ```ts
 * import type { ConformanceSkip } from '@scanplane/core/testing';
 * const skip: ConformanceSkip = {
 *   reason: 'classic queues have no per-message delivery count',
 *   tests: ['a message past the delivery limit is dead-lettered'],
 * };
 * ```
 */
export interface ConformanceSkip {
  /** Why the tests do not apply to this implementation (shown in the report; must not be empty). */
  reason: string;
  /** Names of the tests to leave out, exactly as the suite names them. */
  tests: readonly string[];
}

/**
 * What every suite's `create` returns besides the port under test: an optional cleanup.
 *
 * @example
 * ```ts
 * import type { ConformanceSubject } from '@scanplane/core/testing';
 * declare function dropSchema(name: string): Promise<void>;
 * const subject: ConformanceSubject = { cleanup: () => dropSchema('conformance_1') };
 * ```
 */
export interface ConformanceSubject {
  /** Releases what `create` made (a schema, a queue prefix, a connection). Called after each test, pass or fail. */
  cleanup?: () => Promise<void>;
}

/**
 * The options every conformance suite takes.
 *
 * @example
 * ```ts
 * import { createMemoryLock } from '@scanplane/core';
 * import type { ConformanceOptions, LockSubject } from '@scanplane/core/testing';
 * const options: ConformanceOptions<LockSubject> = {
 *   name: 'memory',
 *   create: async () => ({ lock: createMemoryLock() }),
 *   timeoutMs: 60_000,
 * };
 * ```
 */
export interface ConformanceOptions<Subject extends ConformanceSubject> {
  /** Names the implementation in the describe title (`TaskStore conformance: <name>`). */
  name: string;
  /**
   * Makes the subject of one test. Called once per test: each test must start from a fresh, empty, isolated
   * subject (for a server: a new schema, database, queue prefix or cluster namespace).
   */
  create: () => Promise<Subject>;
  /** Tests to leave out, each entry with its reason. */
  skip?: readonly ConformanceSkip[];
  /** Time limit of each test, in milliseconds (servers are real: the defaults are generous). */
  timeoutMs?: number;
  /** Time limit of each wait for an asynchronous outcome (a delivery, an event), in milliseconds. Default 30000. */
  waitTimeoutMs?: number;
}

/**
 * Options for {@link waitFor}.
 *
 * @example
 * ```ts
 * import type { WaitForOptions } from '@scanplane/core/testing';
 * const options: WaitForOptions = { timeoutMs: 10_000, intervalMs: 25, message: 'the task to stop' };
 * ```
 */
export interface WaitForOptions {
  /** Gives up after this many milliseconds. Default 30000. */
  timeoutMs?: number;
  /** Milliseconds between two checks. Default 10. */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  message?: string;
  /** Gives up when this aborts (vitest's per-test signal, for example). */
  signal?: AbortSignal;
}

/**
 * Polls `predicate` until it returns `true`, and rejects when it has not within the time limit. Use it for
 * asynchronous outcomes (a delivery, a launcher event, a state a server reaches) instead of fixed sleeps. A predicate
 * that throws counts as not yet true; its last error is kept as the cause of the timeout error.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * import { waitFor } from '@scanplane/core/testing';
 * const queue = createMemoryQueue();
 * await queue.publish([{ taskId: 't1', project: 'acme', kind: 'tcp-connect', priority: 1 }]);
 * await waitFor(async () => (await queue.depth()) === 1, { timeoutMs: 5_000, message: 'one waiting message' });
 * ```
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const what = options.message ?? 'the condition';
    if (options.signal?.aborted) {
      throw new Error(`waitFor: gave up waiting for ${what}: the test was aborted`, { cause: lastError });
    }
    if (Date.now() >= deadline) {
      const last = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`waitFor: ${what} did not happen within ${timeoutMs} ms${last}`, { cause: lastError });
    }
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * A {@link NewTask} for conformance tests: project `conformance`, kind `conformance`, a unique idempotency key, and
 * whatever `overrides` set.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { sampleTask } from '@scanplane/core/testing';
 * const store = createMemoryStore();
 * await store.create([sampleTask({ project: 'acme', priority: 5 })], { at: Date.now() });
 * ```
 */
export function sampleTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    project: 'conformance',
    kind: 'conformance',
    idempotencyKey: `conformance:${randomUUID()}`,
    ...overrides,
  };
}

/**
 * A whole {@link ScanTask} record, as a launcher receives it: a fresh UUID id, status `requested`, attempt 1, and
 * whatever `overrides` set.
 *
 * @example
 * ```ts
 * import { sampleScanTask } from '@scanplane/core/testing';
 * const task = sampleScanTask({ payload: { behaviour: 'succeed' } });
 * task.status; // 'requested'
 * ```
 */
export function sampleScanTask(overrides: Partial<ScanTask> = {}): ScanTask {
  const at = Date.now();
  return {
    id: randomUUID(),
    project: 'conformance',
    kind: 'conformance',
    status: 'requested',
    attempt: 1,
    maxAttempts: 3,
    priority: 1,
    idempotencyKey: `conformance:${randomUUID()}`,
    version: 3,
    timeouts: { ...DEFAULT_TIMEOUTS },
    createdAt: at,
    queuedAt: at,
    requestedAt: at,
    history: [
      { to: 'created', at, reason: 'created' },
      { from: 'created', to: 'queued', at, reason: 'conformance' },
      { from: 'queued', to: 'requested', at, reason: 'conformance' },
    ],
    ...overrides,
  };
}

/**
 * What a conformance test gets besides its subject.
 *
 * @example
 * ```ts
 * import type { ConformanceContext } from '@scanplane/core/testing';
 * async function body(context: ConformanceContext, consumer: { close(): Promise<void> }) {
 *   context.defer(() => consumer.close());
 * }
 * ```
 * @internal
 */
export interface ConformanceContext {
  /** Runs `fn` after the test, pass or fail, before the subject's cleanup; the last registered runs first. */
  defer(fn: () => unknown): void;
  /** {@link waitFor} with the suite's wait time limit; `what` names the awaited outcome in the failure. */
  until(predicate: () => boolean | Promise<boolean>, what: string): Promise<void>;
}

/**
 * Registers one conformance test: its name, and its body, which gets a fresh subject and a
 * {@link ConformanceContext}.
 *
 * @example
 * ```ts
 * import type { ConformanceTest, LockSubject } from '@scanplane/core/testing';
 * function register(test: ConformanceTest<LockSubject>) {
 *   test('acquires', async ({ lock }) => {
 *     await lock.acquire('x');
 *   });
 * }
 * ```
 * @internal
 */
export type ConformanceTest<Subject> = (
  name: string,
  body: (subject: Subject, context: ConformanceContext) => Promise<void>,
) => void;

/**
 * The shared machinery of the suites: one describe block per run, one fresh subject per test, teardown after each
 * test (deferred functions, then `teardown`, then the subject's cleanup), and skips registered as
 * `skipped: <name> — <reason>` tests.
 *
 * @example
 * ```ts
 * import { defineConformanceSuite, type LockSubject } from '@scanplane/core/testing';
 * import { createMemoryLock } from '@scanplane/core';
 * defineConformanceSuite<LockSubject>(
 *   'Lock',
 *   { name: 'memory', create: async () => ({ lock: createMemoryLock() }) },
 *   { timeoutMs: 60_000 },
 *   (test) => test('acquires', async ({ lock }) => void (await lock.acquire('x'))),
 * );
 * ```
 * @internal
 */
export function defineConformanceSuite<Subject extends ConformanceSubject>(
  port: string,
  options: ConformanceOptions<Subject>,
  settings: { timeoutMs: number; teardown?: (subject: Subject) => Promise<void> },
  body: (test: ConformanceTest<Subject>) => void,
): void {
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
  const waitTimeoutMs = options.waitTimeoutMs ?? 30_000;
  const skips = new Map<string, string>();
  for (const entry of options.skip ?? []) for (const name of entry.tests) skips.set(name, entry.reason);
  const registered = new Set<string>();

  const test: ConformanceTest<Subject> = (name, run) => {
    if (registered.has(name))
      throw new Error(`[scanplane] ${port} conformance: test '${name}' is defined twice`);
    registered.add(name);
    const reason = skips.get(name);
    if (reason !== undefined) {
      it(`skipped: ${name} — ${reason}`, () => {
        expect(reason.trim(), `the skip of '${name}' needs a reason`).not.toBe('');
      });
      return;
    }
    it(
      name,
      async ({ onTestFinished, signal }) => {
        const deferred: Array<() => unknown> = [];
        let subject: Subject | undefined;
        onTestFinished(async () => {
          const errors: unknown[] = [];
          for (const fn of deferred.reverse()) {
            try {
              await fn();
            } catch (error) {
              errors.push(error);
            }
          }
          if (subject !== undefined) {
            try {
              await settings.teardown?.(subject);
            } catch (error) {
              errors.push(error);
            }
            try {
              await subject.cleanup?.();
            } catch (error) {
              errors.push(error);
            }
          }
          if (errors.length === 1) throw errors[0];
          if (errors.length > 1) throw new AggregateError(errors, `${port} conformance: teardown failed`);
        }, timeoutMs);
        subject = await options.create();
        await run(subject, {
          defer: (fn) => {
            deferred.push(fn);
          },
          until: (predicate, what) => waitFor(predicate, { timeoutMs: waitTimeoutMs, message: what, signal }),
        });
      },
      timeoutMs,
    );
  };

  describe(`${port} conformance: ${options.name}`, () => {
    body(test);
    if (skips.size > 0) {
      it('skip list names only tests of this suite', () => {
        expect([...skips.keys()].filter((name) => !registered.has(name))).toEqual([]);
      });
    }
  });
}
