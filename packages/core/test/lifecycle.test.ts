import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import {
  createInProcessLauncher,
  createManualClock,
  createMemoryQueue,
  createMemoryStore,
  createOrchestrator,
  createStaticResolver,
  createWorker,
  isScanplaneError,
  type LauncherEvent,
  type ManualClock,
  type ScanTask,
  type TaskHandler,
  type TaskLauncher,
  type TaskQueue,
  type TaskStore,
} from '../src/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const resolver = createStaticResolver({ 'web.lab': ['10.0.0.1'], 'app.lab': ['10.0.0.1', '10.0.0.2'] });

/** Polls (in real time, a few event-loop turns at a time) until the predicate holds. */
async function until(predicate: () => boolean | Promise<boolean>, what: string, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await predicate()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

function setup(options: { clock?: ManualClock } = {}) {
  const clock = options.clock ?? createManualClock(T0);
  const store = createMemoryStore();
  const queue = createMemoryQueue({ clock });
  const orchestrator = createOrchestrator({
    store,
    ledger: store,
    registry: store,
    queue,
    clock,
    random: () => 0,
  });
  return { clock, store, queue, orchestrator };
}

/** A handler that runs until its signal aborts, counting its calls. */
function hangingHandler(): TaskHandler & { calls: string[] } {
  const calls: string[] = [];
  const run: TaskHandler = async (task, { signal }) => {
    calls.push(task.id);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    throw new Error('aborted');
  };
  return Object.assign(run, { calls });
}

describe('a worker that dies mid-task', () => {
  it('loses its lease, the task is retried and finishes exactly once', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const finishedEvents: string[] = [];
    orchestrator.events.on('task:finished', (task) => finishedEvents.push(task.id));
    // Worker A claims the task, then "dies": its handler never returns and it never writes again.
    let dead = false;
    const deadStore: TaskStore = {
      ...store,
      heartbeat: (...args) => (dead ? new Promise(() => {}) : store.heartbeat(...args)),
      transition: (...args) => (dead ? new Promise(() => {}) : store.transition(...args)),
    };
    const underlying: { close?: () => Promise<void> } = {};
    const aQueue: TaskQueue = {
      ...queue,
      consume: async (handler, consumeOptions) => {
        const consumer = await queue.consume(handler, consumeOptions);
        underlying.close = () => consumer.close();
        return { close: async () => {} }; // a dead process closes nothing itself
      },
    };
    const aCalls: string[] = [];
    const workerA = createWorker({
      store: deadStore,
      queue: aQueue,
      clock,
      id: 'worker-a',
      handler: async (task) => {
        aCalls.push(task.id);
        dead = true;
        return new Promise(() => {});
      },
    });
    await workerA.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80', resolver });
    const taskId = taskIds[0] as string;
    await until(() => aCalls.length === 1, 'worker A to start the task');
    expect((await store.get(taskId))?.status).toBe('started');

    // Worker B is healthy. Nothing happens until the lease expires.
    const bCalls: string[] = [];
    const workerB = createWorker({
      store,
      ledger: store,
      queue,
      clock,
      events: orchestrator.events,
      id: 'worker-b',
      handler: async (task) => {
        bCalls.push(task.id);
        return { open: [] };
      },
    });
    await workerB.start();
    await clock.advance(29_000);
    expect(await orchestrator.reap()).toBe(0);
    await clock.advance(2_000);
    expect(await orchestrator.reap()).toBe(1);
    await clock.advance(1_000); // past the retry backoff
    await until(async () => (await store.get(taskId))?.status === 'finished', 'the retried task to finish');

    // A's unacknowledged message comes back when its connection is gone: it must not run the task again.
    await underlying.close?.();
    await clock.advance(1_000);
    await until(async () => (await queue.depth()) === 0, 'the redelivered message to be dropped');

    const task = (await store.get(taskId)) as ScanTask;
    expect(task.attempt).toBe(2);
    expect(task.workerId).toBe('worker-b');
    expect(task.history.map((h) => h.to)).toEqual(['queued', 'started', 'queued', 'started', 'finished']);
    expect(task.history[2]?.reason).toContain('LEASE_EXPIRED');
    expect(aCalls).toEqual([taskId]);
    expect(bCalls).toEqual([taskId]);
    expect(finishedEvents).toEqual([taskId]);
    expect(await store.scanned('p', ['10.0.0.1/32'], 0)).toHaveLength(1);
    await workerB.stop();
  });
});

describe('a worker that comes back after its lease was reaped', () => {
  it('cannot record an outcome for the attempt another worker now runs', async () => {
    const { clock, store, queue, orchestrator } = setup();
    let releaseA: (() => void) | undefined;
    // A is partitioned: it does not hear cancel broadcasts either.
    const partitioned: TaskQueue = { ...queue, onCancel: () => () => {} };
    const workerA = createWorker({
      store,
      queue: partitioned,
      clock,
      id: 'zombie',
      heartbeatMs: 3_600_000, // its heartbeats never come in time
      handler: () => new Promise((resolve) => (releaseA = () => resolve({ from: 'zombie' }))),
    });
    await workerA.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    const taskId = taskIds[0] as string;
    await until(() => releaseA !== undefined, 'A running');
    await clock.advance(31_000);
    expect(await orchestrator.reap()).toBe(1);
    const bHandler = hangingHandler();
    const workerB = createWorker({ store, queue, clock, id: 'b', handler: bHandler });
    await workerB.start();
    await clock.advance(1_000);
    await until(() => bHandler.calls.length === 1, 'B running the retry');
    // A wakes up and reports success for its old attempt: refused, the task stays B's.
    releaseA?.();
    await until(() => workerA.running.length === 0, 'A done');
    const task = (await store.get(taskId)) as ScanTask;
    expect(task).toMatchObject({ status: 'started', workerId: 'b', attempt: 2 });
    expect(task.result).toBeUndefined();
    await orchestrator.cancel(taskId);
    await workerA.stop();
    await workerB.stop({ graceMs: 0 });
  });
});

describe('submissions', () => {
  it('create each task exactly once when the same targets are submitted concurrently', async () => {
    const { store, orchestrator } = setup();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        orchestrator.submit('p', ['10.0.0.0/29', 'web.lab'], { ports: '80,443', resolver }),
      ),
    );
    const created = results.flatMap((result) => result.taskIds);
    expect(created).toHaveLength(8);
    expect(new Set(created).size).toBe(8);
    expect(results.reduce((sum, result) => sum + (result.summary.refused.already_queued ?? 0), 0)).toBe(32);
    expect((await store.list({ project: 'p' })).length).toBe(8);
  });

  it('create each task once even across orchestrators that do not share a lock (unique active keys)', async () => {
    const { clock, store, queue } = setup();
    const one = createOrchestrator({ store, ledger: store, queue, clock });
    const two = createOrchestrator({ store, ledger: store, queue, clock });
    const [a, b] = await Promise.all([
      one.submit('p', ['10.0.0.0/30'], { ports: '22' }),
      two.submit('p', ['10.0.0.0/30'], { ports: '22' }),
    ]);
    expect(a.taskIds.length + b.taskIds.length).toBe(4);
    expect((await store.list({ project: 'p' })).length).toBe(4);
  });

  it('plan only what active work does not cover, in address × port space', async () => {
    const { store, orchestrator } = setup();
    await orchestrator.submit('p', ['10.0.0.1'], { ports: '443,80' });
    const second = await orchestrator.submit('p', ['10.0.0.1', '10.0.0.2'], { ports: '80,443,8080,U:53' });
    expect(second.summary.partial).toBe(1);
    const targets = (await store.list({ ids: second.taskIds }))
      .map((task) => [task.target?.ip, task.target?.ports])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(targets).toEqual([
      ['10.0.0.1', 'T:8080,U:53'],
      ['10.0.0.2', 'T:80,443,8080,U:53'],
    ]);
    const third = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80,443' });
    expect(third.summary.refused.already_queued).toBe(1);
    expect(third.taskIds).toEqual([]);
  });

  it('skip-known skips what was scanned in the window, records new hostnames, and rescan does not', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const worker = createWorker({ store, ledger: store, queue, clock, handler: async () => ({ open: [] }) });
    await worker.start();
    await orchestrator.submit('p', ['10.0.0.1'], { ports: '80', resolver });
    await until(async () => (await store.count({ project: 'p' })).finished === 1, 'the scan to finish');
    const known = await orchestrator.submit('p', ['web.lab'], { ports: '80', mode: 'skip-known', resolver });
    expect(known.summary.refused.already_scanned).toBe(1);
    expect(known.taskIds).toEqual([]);
    expect(await store.hostnames('p', '10.0.0.1')).toEqual(['web.lab']);
    await clock.advance(31 * 86_400_000);
    const expired = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80', mode: 'skip-known' });
    expect(expired.taskIds).toHaveLength(1);
    const again = await orchestrator.submit('q', ['10.0.0.1'], { ports: '80', mode: 'rescan' });
    expect(again.taskIds).toHaveLength(1);
    await worker.stop();
  });

  it('fails closed when the ledger cannot be read, unless told to fail open', async () => {
    const { clock, store, queue } = setup();
    const broken = { ...store, active: async () => Promise.reject(new Error('connection refused')) };
    const closed = createOrchestrator({ store, ledger: broken, queue, clock });
    await expect(closed.submit('p', ['10.0.0.1'], { ports: '80' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect((await store.list({ project: 'p' })).length).toBe(0);
    const open = createOrchestrator({ store, ledger: broken, queue, clock });
    const result = await open.submit('p', ['10.0.0.1'], { ports: '80', ledgerFailure: 'open' });
    expect(result.taskIds).toHaveLength(1);
    expect(result.summary.warnings.join()).toContain('ledger unavailable');
  });
});

/** A launcher whose events the test sends by hand. */
function manualLauncher(): TaskLauncher & { emit(event: LauncherEvent): void; stopped: string[] } {
  const events = new EventEmitter<{ event: [LauncherEvent] }>();
  const stopped: string[] = [];
  return {
    name: 'manual',
    capabilities: { batchSize: 10, stop: true, logs: false, events: true },
    stopped,
    emit: (event) => events.emit('event', event),
    async launch(tasks) {
      return tasks.map((task) => ({
        taskId: task.id,
        ok: true as const,
        handle: { launcher: 'manual', id: `h-${task.id}`, version: 0 },
      }));
    },
    async stop(handle) {
      stopped.push(handle.id);
    },
    async describe(handles) {
      return handles.map((handle) => ({ handle, state: 'running' as const }));
    },
    async logs() {
      return [];
    },
    async running() {
      return 0;
    },
    onEvent(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    async health() {
      return { ok: true, component: 'launcher', detail: 'manual' };
    },
    async close() {},
  };
}

describe('platform events (push mode)', () => {
  async function launched() {
    const clock = createManualClock(T0);
    const store = createMemoryStore();
    const launcher = manualLauncher();
    const orchestrator = createOrchestrator({ store, ledger: store, launcher, clock, random: () => 0 });
    orchestrator.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    const taskId = taskIds[0] as string;
    await until(async () => (await store.get(taskId))?.status === 'requested', 'the launch');
    const handle = (await store.get(taskId))?.handle as NonNullable<ScanTask['handle']>;
    const ignored: string[] = [];
    orchestrator.events.on('task:event-ignored', (_id, event, outcome) =>
      ignored.push(`${event.type}:${outcome}`),
    );
    return { clock, store, launcher, orchestrator, taskId, handle, ignored };
  }

  it('applies events in order, ignores duplicates and stale ones, even when they arrive out of order', async () => {
    const { store, launcher, orchestrator, taskId, handle, ignored } = await launched();
    const at = T0 + 10;
    launcher.emit({ taskId, handle, event: { type: 'finished', at, version: 3, result: { exit: 0 } } }); // before started
    await until(async () => (await store.get(taskId))?.status === 'finished', 'finished');
    launcher.emit({ taskId, handle, event: { type: 'started', at, version: 2 } }); // late
    launcher.emit({ taskId, handle, event: { type: 'finished', at, version: 3 } }); // twice
    launcher.emit({ taskId, handle, event: { type: 'failed', at, version: 4 } }); // after the end
    await until(() => ignored.length === 3, 'three ignored events');
    expect(ignored).toEqual(['started:stale', 'finished:stale', 'failed:stale']);
    const task = (await store.get(taskId)) as ScanTask;
    expect(task.status).toBe('finished');
    expect(task.history.map((h) => h.to)).toEqual(['queued', 'requested', 'finished']);
    await orchestrator.close();
  });

  it('applies a started that came before another component recorded the launch ahead of the finished after it', async () => {
    const clock = createManualClock(T0);
    const store = createMemoryStore();
    const launcher = manualLauncher();
    const orchestrator = createOrchestrator({ store, ledger: store, launcher, clock, random: () => 0 });
    orchestrator.start();
    // Its first loop runs now, on an empty store; the next waits for the (manual) clock.
    await new Promise((resolve) => setTimeout(resolve, 20));
    // A task launched by someone else on the same launcher (a scheduler): queued here, no dispatch of ours runs.
    const { created } = await store.create(
      [{ project: 'p', kind: 'x', idempotencyKey: 'k', status: 'queued' }],
      {
        at: T0,
      },
    );
    const taskId = (created[0] as ScanTask).id;
    const handle = { launcher: 'manual', id: 'h-scheduled', version: 0 };
    launcher.emit({ taskId, handle, event: { type: 'started', at: T0 + 1, version: 1 } }); // before the handle is stored
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.transition(taskId, {
      to: 'requested',
      at: T0 + 1,
      reason: 'launched by the scheduler',
      patch: { handle },
    });
    launcher.emit({
      taskId,
      handle,
      event: { type: 'finished', at: T0 + 2, version: 2, result: { exit: 0 } },
    });
    await until(async () => (await store.get(taskId))?.status === 'finished', 'finished');
    const task = (await store.get(taskId)) as ScanTask;
    expect(task.history.map((h) => h.to)).toEqual(['queued', 'requested', 'started', 'finished']);
    expect(task.startedAt).toBe(T0 + 1);
    await orchestrator.close();
  });

  it('never lets a late event overwrite a kill, and the kill really stops the task', async () => {
    const { store, launcher, orchestrator, taskId, handle, ignored } = await launched();
    launcher.emit({ taskId, handle, event: { type: 'started', at: T0 + 5, version: 1 } });
    await until(async () => (await store.get(taskId))?.status === 'started', 'started');
    await orchestrator.cancel(taskId, 'killed by operator');
    expect(launcher.stopped).toEqual([handle.id]);
    launcher.emit({ taskId, handle, event: { type: 'finished', at: T0 + 9, version: 2 } });
    await until(() => ignored.length === 1, 'the late event to be ignored');
    expect((await store.get(taskId))?.status).toBe('cancelled');
    await orchestrator.close();
  });

  it('retries a task that was requested and never started (START_TIMEOUT), stopping the old launch', async () => {
    const { clock, store, launcher, orchestrator, taskId, handle } = await launched();
    await clock.advance(5 * 60_000 - 1);
    expect(await orchestrator.reap()).toBe(0);
    // The orchestrator's own reaper loop (started) handles it once the start timeout passes.
    await clock.advance(1);
    await until(async () => (await store.get(taskId))?.error?.code === 'START_TIMEOUT', 'the reaper');
    const task = (await store.get(taskId)) as ScanTask;
    expect(task.error?.code).toBe('START_TIMEOUT');
    expect(launcher.stopped).toContain(handle.id);
    // It went back to the queue and was launched again (a new attempt).
    await clock.advance(1_000);
    await orchestrator.dispatch();
    await until(async () => (await store.get(taskId))?.attempt === 2, 'the second attempt');
    await orchestrator.close();
  });
});

describe('push mode with the in-process launcher', () => {
  it('launches queued tasks up to maxConcurrent, and events drive them to finished', async () => {
    const store = createMemoryStore();
    let running = 0;
    let peak = 0;
    const launcher = createInProcessLauncher({
      concurrency: 10,
      handler: async (task) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return { ip: task.target?.ip };
      },
    });
    const orchestrator = createOrchestrator({
      store,
      ledger: store,
      launcher,
      maxConcurrent: 3,
      intervalMs: 20,
    });
    orchestrator.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1-10.0.0.10'], { ports: '80' });
    await orchestrator.waitForIdle('p', { pollMs: 5 });
    const byId = new Map((await store.list({ ids: taskIds })).map((task) => [task.id, task]));
    const tasks = taskIds.map((id) => byId.get(id) as ScanTask);
    expect(tasks.map((task) => task.status)).toEqual(Array(10).fill('finished'));
    expect(tasks[0]?.history.map((h) => h.to)).toEqual(['queued', 'requested', 'started', 'finished']);
    expect(tasks[0]?.result).toEqual({ ip: '10.0.0.1' });
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    await orchestrator.close();
    await launcher.close();
  });

  it('counts a failed launch as an attempt and backs off: no relaunch loop, then failed when attempts run out', async () => {
    const clock = createManualClock(T0);
    const store = createMemoryStore();
    const launcher = createInProcessLauncher({ handler: async () => ({}), clock });
    await launcher.close(); // refuses every launch: UNAVAILABLE, retryable
    const orchestrator = createOrchestrator({ store, ledger: store, launcher, clock, random: () => 0 });
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80', maxAttempts: 2 });
    const taskId = taskIds[0] as string;
    expect(await orchestrator.dispatch()).toBe(0);
    let task = (await store.get(taskId)) as ScanTask;
    expect(task.status).toBe('queued');
    expect(task.attempt).toBe(1);
    expect(task.error?.code).toBe('UNAVAILABLE');
    expect(task.notBefore).toBe(T0 + 500); // the first backoff (1 s), jitter drawn at its low end: half
    // In its backoff it is not launched again.
    expect(await orchestrator.dispatch()).toBe(0);
    expect(((await store.get(taskId)) as ScanTask).attempt).toBe(1);
    await clock.advance(500);
    await orchestrator.dispatch();
    task = (await store.get(taskId)) as ScanTask;
    expect(task.status).toBe('failed');
    expect(task.attempt).toBe(2);
    expect(task.history.map((h) => h.to)).toEqual(['queued', 'requested', 'queued', 'requested', 'failed']);
    await orchestrator.close();
  });

  it('stops a running pushed task through the launcher', async () => {
    const store = createMemoryStore();
    const handler = hangingHandler();
    const launcher = createInProcessLauncher({ handler });
    const orchestrator = createOrchestrator({ store, ledger: store, launcher, intervalMs: 20 });
    orchestrator.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    await until(async () => (await store.get(taskIds[0] as string))?.status === 'started', 'started');
    expect(await launcher.running()).toBe(1);
    await orchestrator.stop('p');
    await until(async () => (await launcher.running()) === 0, 'the handler to be aborted');
    expect((await store.get(taskIds[0] as string))?.status).toBe('cancelled');
    const [description] = await launcher.describe([(await store.get(taskIds[0] as string))?.handle as never]);
    expect(description?.state).toBe('stopped');
    await orchestrator.close();
  });
});

describe('stop', () => {
  it('cancels queued and running tasks, aborts the running one, and no worker runs them later', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const handler = hangingHandler();
    const worker = createWorker({ store, queue, clock, handler, concurrency: 1 });
    await worker.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1-10.0.0.5'], { ports: '80' });
    await until(() => handler.calls.length === 1, 'one task running');
    const other = await orchestrator.submit('q', ['10.0.0.1'], { ports: '80' });

    const result = await orchestrator.stop('p');
    expect(result).toMatchObject({ project: 'p', cancelled: 5, aborted: 1 });
    expect(result.purged).toBeGreaterThanOrEqual(3);
    await until(() => worker.running.length === 0 || handler.calls.length > 1, 'the running task to abort');
    const counts = await store.count({ project: 'p' });
    expect(counts.cancelled).toBe(5);
    expect(handler.calls).toHaveLength(2); // the stopped task, then project q's task
    expect(handler.calls[1]).toBe(other.taskIds[0]);

    // A worker that joins later, even with a stale message, never runs a stopped task.
    await queue.publish(
      taskIds.map((taskId) => ({ taskId, project: 'p', kind: 'tcp-connect', priority: 1 })),
    );
    const lateCalls: string[] = [];
    const late = createWorker({ store, queue, clock, handler: async (task) => lateCalls.push(task.id) });
    await late.start();
    await until(async () => (await queue.depth()) === 0, 'stale messages dropped');
    expect(lateCalls).toEqual([]);
    await late.stop();
    await worker.stop({ graceMs: 0 });
  });
});

describe('time limits', () => {
  it('aborts a task that runs past its run timeout and fails it with TASK_TIMEOUT', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const handler = hangingHandler();
    const worker = createWorker({ store, queue, clock, handler });
    await worker.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], {
      ports: '80',
      timeouts: { runMs: 60_000 },
    });
    await until(() => handler.calls.length === 1, 'started');
    await clock.advance(60_000);
    await until(async () => (await store.get(taskIds[0] as string))?.status === 'failed', 'timed out');
    expect((await store.get(taskIds[0] as string))?.error?.code).toBe('TASK_TIMEOUT');
    await worker.stop();
  });

  it('requeues tasks aborted by a graceful shutdown, for another worker to finish', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const handler = hangingHandler();
    const first = createWorker({ store, queue, clock, handler, id: 'first' });
    await first.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    await until(() => handler.calls.length === 1, 'started');
    const stopping = first.stop({ graceMs: 5_000 });
    await clock.advance(5_000);
    await stopping;
    const task = (await store.get(taskIds[0] as string)) as ScanTask;
    expect(task.status).toBe('queued');
    expect(task.error?.code).toBe('ABORTED');
    const second = createWorker({ store, queue, clock, handler: async () => 'done', id: 'second' });
    await second.start();
    await clock.advance(1_000);
    await until(
      async () => (await store.get(taskIds[0] as string))?.status === 'finished',
      'finished by the second',
    );
    await second.stop();
  });
});

describe('results the store refuses', () => {
  it('fail the task with RESULT_INVALID (an oversized result), and the message is acknowledged', async () => {
    const clock = createManualClock(T0);
    const store = createMemoryStore({ maxPayloadBytes: 1_000 });
    const queue = createMemoryQueue({ clock });
    const orchestrator = createOrchestrator({ store, ledger: store, queue, clock, random: () => 0 });
    const worker = createWorker({ store, queue, clock, handler: async () => ({ blob: 'x'.repeat(2_000) }) });
    await worker.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    const taskId = taskIds[0] as string;
    await until(async () => (await store.get(taskId))?.status === 'failed', 'the task to fail');
    const task = (await store.get(taskId)) as ScanTask;
    expect(task.error?.code).toBe('RESULT_INVALID');
    expect(task.error?.message).toContain('above the limit of 1000');
    expect(task.result).toBeUndefined();
    expect(task.attempt).toBe(1); // not retryable: one attempt only
    await until(async () => (await queue.depth()) === 0 && worker.running.length === 0, 'the ack');
    expect(queue.deadLetters()).toEqual([]);
    await worker.stop();
  });

  it('fail the task with RESULT_INVALID (a result that is not JSON)', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const worker = createWorker({ store, queue, clock, handler: async () => cyclic });
    await worker.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    await until(async () => (await store.get(taskIds[0] as string))?.status === 'failed', 'the task to fail');
    const task = (await store.get(taskIds[0] as string)) as ScanTask;
    expect(task.error?.code).toBe('RESULT_INVALID');
    expect(task.error?.message).toContain('not JSON');
    await worker.stop();
  });

  it('fail a pushed task whose finished event carries a refused result', async () => {
    const clock = createManualClock(T0);
    const store = createMemoryStore({ maxPayloadBytes: 1_000 });
    const launcher = manualLauncher();
    const orchestrator = createOrchestrator({ store, ledger: store, launcher, clock, random: () => 0 });
    orchestrator.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    const taskId = taskIds[0] as string;
    await until(async () => (await store.get(taskId))?.status === 'requested', 'the launch');
    const handle = (await store.get(taskId))?.handle as NonNullable<ScanTask['handle']>;
    launcher.emit({
      taskId,
      handle,
      event: { type: 'finished', at: T0 + 10, version: 2, result: { blob: 'x'.repeat(2_000) } },
    });
    await until(async () => (await store.get(taskId))?.status === 'failed', 'the task to fail');
    expect((await store.get(taskId))?.error?.code).toBe('RESULT_INVALID');
    await orchestrator.close();
  });
});

describe('status, retry, workers and health', () => {
  it('scopes status to its project', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const handler = hangingHandler();
    const worker = createWorker({ store, queue, clock, handler, concurrency: 2, id: 'w1' });
    await worker.start();
    await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    await orchestrator.submit('q', ['10.0.0.2'], { ports: '80' });
    await until(() => handler.calls.length === 2, 'both running');
    const status = await orchestrator.status('p');
    expect(status.active).toBe(1);
    expect(status.running).toHaveLength(1);
    expect(status.running[0]).toMatchObject({ workerId: 'w1', target: { ip: '10.0.0.1' }, startedAt: T0 });
    await orchestrator.stop('p');
    await orchestrator.stop('q');
    await worker.stop({ graceMs: 0 });
  });

  it('retries a failed task as a new task and refuses to retry an active one', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const worker = createWorker({
      store,
      queue,
      clock,
      handler: async () => {
        throw new Error('scanner crashed');
      },
    });
    await worker.start();
    const { taskIds } = await orchestrator.submit('p', ['10.0.0.1'], { ports: '80' });
    const failedId = taskIds[0] as string;
    await until(async () => (await store.get(failedId))?.status === 'failed', 'failed');
    expect((await store.get(failedId))?.error).toEqual({ code: 'TASK_FAILED', message: 'scanner crashed' });
    await worker.stop();
    const again = await orchestrator.retry(failedId);
    expect(again.id).not.toBe(failedId);
    expect(again.status).toBe('queued');
    expect(again.payload).toMatchObject({ retryOf: failedId });
    await expect(orchestrator.retry(again.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    await expect(orchestrator.cancel('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists live workers and ages out stale ones', async () => {
    const { clock, store, queue, orchestrator } = setup();
    const a = createWorker({ store, queue, clock, registry: store, handler: async () => 1, id: 'a' });
    await a.start();
    await store.registerWorker({
      id: 'ghost',
      hostname: 'gone',
      addresses: [],
      kinds: [],
      capacity: 1,
      currentTasks: [],
      startedAt: T0,
      lastSeenAt: T0,
    });
    expect((await orchestrator.workers()).map((w) => w.id).sort()).toEqual(['a', 'ghost']);
    await clock.advance(100_000);
    expect((await orchestrator.workers()).map((w) => w.id)).toEqual(['a']);
    await a.stop();
    expect(await orchestrator.workers()).toEqual([]);
  });

  it('checks every component for real', async () => {
    const { queue, orchestrator } = setup();
    expect((await orchestrator.health()).ok).toBe(true);
    await queue.close();
    const health = await orchestrator.health();
    expect(health.ok).toBe(false);
    expect(health.components.find((c) => c.component === 'queue')).toMatchObject({ ok: false });
  });

  it('refuses an empty project name', async () => {
    const { orchestrator } = setup();
    await expect(orchestrator.submit('', ['10.0.0.1'], { ports: '80' })).rejects.toSatisfy(isScanplaneError);
  });
});
