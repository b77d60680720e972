import { describe, expect, it } from 'vitest';
import {
  commandOptionsFor,
  createEmbedded,
  createInProcessLauncher,
  createManualClock,
  createMemoryLock,
  createMemoryStore,
  createOrchestrator,
  createScheduler,
  isScanplaneError,
  type ManualClock,
  type MemoryStore,
  runForOrganizations,
  type ScanTask,
  type TaskHandler,
} from '../src/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Polls (in real time, a few event-loop turns at a time) until the predicate holds. */
async function until(predicate: () => boolean | Promise<boolean>, what: string, turns = 3000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await predicate()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

async function organizations(store: MemoryStore, ids: string[]): Promise<void> {
  for (const id of ids) await store.putOrganization({ id, name: id.toUpperCase(), passive: false, tags: [] });
}

const statuses = async (store: MemoryStore): Promise<string[]> =>
  (await store.list({ project: 'scheduled' }))
    .map((task) => `${(task.organizationIds ?? []).join('+')}:${task.status}`)
    .sort();

/** A handler whose runs wait until released; each call records its task. */
function gate(): TaskHandler & { calls: string[]; release(): void } {
  const calls: string[] = [];
  let open: () => void = () => {};
  let opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const handler: TaskHandler = async (task) => {
    calls.push(task.id);
    await opened;
    return {
      organizations: Object.fromEntries(
        (task.organizationIds ?? []).map((id) => [id, { status: 'finished' }]),
      ),
    };
  };
  return Object.assign(handler, {
    calls,
    release() {
      open();
      opened = Promise.resolve();
    },
  });
}

/** Push mode: in-process launcher, an orchestrator that only applies launcher events (it never dispatches). */
function push(options: { clock?: ManualClock; limit?: number; handler?: TaskHandler } = {}) {
  const clock = options.clock ?? createManualClock(T0);
  const store = createMemoryStore({ clock });
  const handler = options.handler ?? gate();
  const launcher = createInProcessLauncher({ handler, clock, concurrency: 100 });
  const orchestrator = createOrchestrator({ store, ledger: store, launcher, clock, maxConcurrent: 0 });
  orchestrator.start();
  const scheduler = createScheduler({
    store,
    launcher,
    clock,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    taskEvents: orchestrator.events,
  });
  const close = async (): Promise<void> => {
    await scheduler.close();
    await orchestrator.close();
    await launcher.close();
  };
  return { clock, store, launcher, orchestrator, scheduler, handler, close };
}

describe('createScheduler: push mode (a launcher, like Crossfeed on Fargate)', () => {
  it('launches up to the limit and queues the rest; once capacity frees, a later tick launches them, oldest first', async () => {
    const handler = gate();
    const { clock, store, scheduler, close } = push({ limit: 2, handler });
    await organizations(store, ['a', 'b', 'c']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 86_400 });

    const first = await scheduler.tick();
    expect(first?.launched).toHaveLength(2);
    expect(first?.queued).toHaveLength(1);
    await until(async () => (await store.count({ status: ['started'] })).started === 2, 'two runs');
    expect(await statuses(store)).toEqual(['a:started', 'b:started', 'c:queued']);
    expect((await store.getScan('amass'))?.lastRun).toBe(T0);

    // Full: a tick launches nothing and creates nothing new (queued counts as active).
    const full = await scheduler.tick();
    expect(full?.launched).toEqual([]);
    expect(full?.relaunched).toEqual([]);
    expect(full?.queued).toEqual([]);

    handler.release();
    await until(async () => (await store.count({ status: ['finished'] })).finished === 2, 'two to finish');
    await clock.advance(60_000);
    const later = await scheduler.tick();
    expect(later?.relaunched).toHaveLength(1);
    expect(later?.launched).toEqual([]);
    await until(
      async () => (await store.count({ status: ['finished'] })).finished === 3,
      'the third to finish',
    );
    // Relaunching a queued task does not move lastRun (Crossfeed: only new work in phase B does).
    expect((await store.getScan('amass'))?.lastRun).toBe(T0);
    await close();
  });

  it('records each organization of a batch on its own: one failing does not fail its batch-mates', async () => {
    const handler: TaskHandler = (task, context) =>
      runForOrganizations(commandOptionsFor(task), context, async ({ organizationId }) => {
        if (organizationId === 'b') throw new Error('b refused');
        return { ok: organizationId };
      });
    const { clock, store, scheduler, close } = push({ handler });
    await organizations(store, ['a', 'b', 'c']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 3600, organizationsPerTask: 3 });
    await store.putScan({ id: 'portscan', type: 'portscan', frequencySeconds: 3600, dependsOn: ['amass'] });
    await scheduler.tick();
    await until(
      async () => (await store.count({ status: ['finished'] })).finished === 1,
      'the batch to finish',
    );
    const [batch] = await store.list({ scanId: 'amass' });
    expect(batch?.status).toBe('finished');
    expect(batch?.result).toMatchObject({
      organizations: { a: { status: 'finished' }, b: { status: 'failed' }, c: { status: 'finished' } },
    });
    // The dependent scan runs where amass succeeded, and waits where it failed.
    await clock.advance(1000);
    const report = await scheduler.tick();
    expect(report?.launched).toHaveLength(2);
    expect((await store.list({ scanId: 'portscan' })).map((t) => t.organizationIds?.join()).sort()).toEqual([
      'a',
      'c',
    ]);
    expect(await scheduler.explain('portscan', 'b')).toMatchObject({
      run: false,
      reason: 'waiting-for-dependency',
    });
    await close();
  });

  it('fails or retries a launch that fails, and says so', async () => {
    const { store, scheduler, launcher, close } = push();
    await organizations(store, ['a']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 3600 });
    await launcher.close(); // a closed launcher refuses launches (UNAVAILABLE, retryable)
    const failures: string[] = [];
    scheduler.events.on('launch-failed', (_taskId, error) => failures.push(error.code));
    const report = await scheduler.tick();
    expect(report?.failed.map((f) => f.error.code)).toEqual(['UNAVAILABLE']);
    expect(failures).toEqual(['UNAVAILABLE']);
    const [task] = await store.list({ scanId: 'amass' });
    // The launch was an attempt: counted, and (retryable, attempts left) back to the queue with a backoff.
    expect(task?.status).toBe('queued');
    expect(task?.attempt).toBe(1);
    expect(task?.notBefore).toBeGreaterThan(T0);
    expect(task?.error?.code).toBe('UNAVAILABLE');
    expect(task?.history.map((h) => h.to)).toEqual(['queued', 'requested', 'queued']);
    // In its backoff it is not launched again; the pair stays active, so no new task either.
    const again = await scheduler.tick();
    expect(again?.relaunched).toEqual([]);
    expect(again?.launched).toEqual([]);
    await close();
  });
});

describe('createScheduler: pull mode (a queue and workers)', () => {
  it('publishes due work for the workers, and after downtime runs each due pair once', async () => {
    const clock = createManualClock(T0);
    const runs: string[] = [];
    const embedded = createEmbedded({
      clock,
      workers: 2,
      handler: async (task) => {
        runs.push(`${task.kind}:${(task.organizationIds ?? []).join('+')}`);
        return { ok: true };
      },
    });
    const scheduler = createScheduler({ store: embedded.store, queue: embedded.queue, clock });
    await organizations(embedded.store, ['a', 'b']);
    await embedded.store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 3600 });
    await embedded.store.putScan({
      id: 'dotgov',
      type: 'dotgov',
      global: true,
      passive: true,
      frequencySeconds: 3600,
      chunks: 3,
    });

    const report = await scheduler.tick();
    expect(report?.launched).toHaveLength(5);
    await embedded.orchestrator.waitForIdle('scheduled', { pollMs: 1 });
    expect(runs.sort()).toEqual(['amass:a', 'amass:b', 'dotgov:', 'dotgov:', 'dotgov:']);

    // An hour later (the window is inclusive): not yet. Three days later: once each, not 72 times.
    await clock.advance(HOUR);
    expect((await scheduler.tick())?.launched).toEqual([]);
    await clock.advance(3 * DAY);
    expect((await scheduler.tick())?.launched).toHaveLength(5);
    await embedded.orchestrator.waitForIdle('scheduled', { pollMs: 1 });
    expect(runs).toHaveLength(10);
    expect((await scheduler.tick())?.launched).toEqual([]);
    await scheduler.close();
    await embedded.close();
  });

  it('refuses a limit in pull mode, and needs exactly one of a launcher or a queue', () => {
    const store = createMemoryStore();
    const embedded = createEmbedded();
    const expectInvalid = (make: () => unknown, message: string): void => {
      try {
        make();
        throw new Error('accepted');
      } catch (error) {
        expect(isScanplaneError(error) && error.code).toBe('INVALID_ARGUMENT');
        expect((error as Error).message).toContain(message);
      }
    };
    expectInvalid(() => createScheduler({ store }), 'a launcher (push) or a queue (pull)');
    expectInvalid(
      () => createScheduler({ store, queue: embedded.queue, limit: 5 }),
      "'limit' applies to a launcher",
    );
    return embedded.close();
  });
});

describe('createScheduler: what Crossfeed got wrong', () => {
  it('cancels queued tasks of a deleted scan with a reason, and they stop holding the queue (issue #2596)', async () => {
    const { store, scheduler, close } = push({ limit: 0 });
    await organizations(store, ['a', 'b']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 3600 });
    await store.putScan({ id: 'hibp', type: 'hibp', frequencySeconds: 3600 });
    expect((await scheduler.tick())?.queued).toHaveLength(4);
    await store.deleteScan('amass');
    const cancelled: string[] = [];
    scheduler.events.on('cancel', (cancel) => cancelled.push(cancel.code));
    const report = await scheduler.tick();
    expect(report?.cancelled).toHaveLength(2);
    expect(cancelled).toEqual(['scan-deleted', 'scan-deleted']);
    const tasks = await store.list({ scanId: 'amass' });
    expect(tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect(tasks[0]?.error).toEqual({ code: 'CANCELLED', message: 'scan amass no longer exists' });
    expect((await store.list({ scanId: 'hibp' })).map((t) => t.status)).toEqual(['queued', 'queued']);
    await close();
  });

  it('a manual run never duplicates active work: it waits for it, then runs once and is cleared (issue #753)', async () => {
    const handler = gate();
    const { clock, store, scheduler, close } = push({ handler });
    await organizations(store, ['a']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 86_400 });
    await scheduler.tick();
    await until(async () => (await store.count({ status: ['started'] })).started === 1, 'the first run');
    await store.requestManualRun('amass', clock.now());
    for (let i = 0; i < 3; i++) {
      await clock.advance(60_000);
      expect((await scheduler.tick())?.launched).toEqual([]);
    }
    expect(await store.count({ scanId: 'amass' })).toMatchObject({ started: 1, queued: 0, failed: 0 });
    expect((await store.getScan('amass'))?.manualRunRequestedAt).toBe(T0);
    handler.release();
    await until(async () => (await store.count({ scanId: 'amass' })).finished === 1, 'the first run to end');
    const report = await scheduler.tick();
    expect(report?.launched).toHaveLength(1); // the manual run, inside the frequency window
    expect((await store.getScan('amass'))?.manualRunRequestedAt).toBeUndefined();
    await until(async () => (await store.count({ scanId: 'amass' })).finished === 2, 'the manual run to end');
    expect((await scheduler.tick())?.launched).toEqual([]);
    await close();
  });

  it('a task stuck "running" is reaped by its lease and no longer blocks its scan forever (issue #367)', async () => {
    const clock = createManualClock(T0);
    const store = createMemoryStore({ clock });
    const embedded = { store };
    const launcher = createInProcessLauncher({ handler: async () => ({}), clock });
    const orchestrator = createOrchestrator({ store, ledger: store, launcher, clock, maxConcurrent: 0 });
    const scheduler = createScheduler({ store, launcher, clock, maxAttempts: 1 });
    await organizations(embedded.store, ['a']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 3600 });
    // A task that a worker claimed and then lost (no heartbeat ever again).
    const { created } = await store.create(
      [
        {
          project: 'scheduled',
          kind: 'amass',
          scanId: 'amass',
          organizationIds: ['a'],
          idempotencyKey: 'stuck',
          maxAttempts: 1,
          status: 'queued',
        },
      ],
      { at: T0 },
    );
    await store.transition((created[0] as ScanTask).id, {
      to: 'started',
      at: T0,
      reason: 'claimed by a worker that died',
      patch: { workerId: 'ghost', leaseExpiresAt: T0 + 30_000, lastHeartbeatAt: T0 },
    });
    expect(await scheduler.explain('amass', 'a')).toMatchObject({ run: false, reason: 'already-active' });
    await clock.advance(31_000);
    expect(await orchestrator.reap()).toBe(1);
    expect((await store.get((created[0] as ScanTask).id))?.error?.code).toBe('LEASE_EXPIRED');
    // The failure starts the frequency window; after it, the scan runs again.
    expect(await scheduler.explain('amass', 'a')).toMatchObject({ run: false, reason: 'not-due' });
    await clock.advance(HOUR); // exactly one frequency after the failure: still inside the inclusive window
    expect((await scheduler.tick())?.launched).toEqual([]);
    await clock.advance(1);
    expect((await scheduler.tick())?.launched).toHaveLength(1);
    await orchestrator.close();
    await launcher.close();
  });
});

describe('createScheduler: one tick at a time', () => {
  it('skips a tick while another holds the lock, so two schedulers never plan the same work twice', async () => {
    const clock = createManualClock(T0);
    const store = createMemoryStore({ clock });
    const lock = createMemoryLock();
    const launcher = createInProcessLauncher({ handler: async () => ({}), clock });
    const a = createScheduler({ store, launcher, clock, lock });
    const b = createScheduler({ store, launcher, clock, lock });
    await organizations(store, ['a', 'b', 'c']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 3600 });
    const skipped: number[] = [];
    b.events.on('tick-skipped', (at) => skipped.push(at));
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    expect([ra === undefined, rb === undefined].sort()).toEqual([false, true]);
    expect(skipped).toEqual(rb === undefined ? [T0] : []);
    expect(await store.list({ scanId: 'amass' })).toHaveLength(3);
    await launcher.close();
  });

  it('even without a shared lock, idempotency keys keep two ticks from creating one pair twice', async () => {
    const clock = createManualClock(T0);
    const store = createMemoryStore({ clock });
    const launcher = createInProcessLauncher({ handler: () => new Promise(() => {}), clock });
    const a = createScheduler({ store, launcher, clock });
    const b = createScheduler({ store, launcher, clock });
    await organizations(store, ['a', 'b', 'c']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 3600 });
    await Promise.all([a.tick(), b.tick()]);
    const tasks = await store.list({ scanId: 'amass' });
    expect(tasks.map((t) => t.organizationIds?.join()).sort()).toEqual(['a', 'b', 'c']);
    await launcher.close();
  });

  it('ticks on its interval after start(), and stops on close()', async () => {
    const { clock, store, scheduler, close } = push();
    await organizations(store, ['a']);
    await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 60 });
    const ticks: number[] = [];
    scheduler.events.on('tick', (report) => ticks.push(report.plan.at));
    scheduler.start();
    await until(() => ticks.length === 1, 'the first tick');
    await clock.advance(60_000);
    await until(() => ticks.length === 2, 'the second tick');
    await close();
    await clock.advance(120_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ticks).toEqual([T0, T0 + 60_000]);
  });
});
