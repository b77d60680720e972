import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Lock, LockLease } from '../ports/lock.js';
import {
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
} from './conformance-harness.js';

/**
 * What the lock suite's `create` returns: a lock, and optionally how to clean up. Lock names are fresh UUIDs in
 * every test, so locks that are global to a server (PostgreSQL advisory locks) need no isolation.
 *
 * @example
 * ```ts
 * import { createMemoryLock } from '@scanplane/core';
 * import type { LockSubject } from '@scanplane/core/testing';
 * const subject: LockSubject = { lock: createMemoryLock() };
 * ```
 */
export interface LockSubject extends ConformanceSubject {
  /** The lock under test. */
  lock: Lock;
}

/**
 * Options for {@link runLockConformance}.
 *
 * @example
 * ```ts
 * import { createMemoryLock } from '@scanplane/core';
 * import type { LockConformanceOptions } from '@scanplane/core/testing';
 * const options: LockConformanceOptions = {
 *   name: 'memory',
 *   create: async () => ({ lock: createMemoryLock() }),
 *   waiterSpacingMs: 0,
 * };
 * ```
 */
export interface LockConformanceOptions extends ConformanceOptions<LockSubject> {
  /**
   * Milliseconds between starting one waiting `acquire` and the next in the first-come-first-served test, so that
   * a server receives them in that order. Default 100.
   */
  waiterSpacingMs?: number;
}

/** Whether a promise has settled, without waiting for it. */
function track<T>(promise: Promise<T>): { readonly settled: boolean; promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Registers the conformance tests of the {@link Lock} port: acquire and release, `wait: false` while held,
 * independent names, a waiting acquire granted on release, waiters served first come first served, an abort signal
 * ending a wait with `undefined`, mutual exclusion under concurrency, and releasing twice being harmless (it never
 * releases a later holder). `create` is called once per test.
 *
 * @example
 * ```ts
 * import { createMemoryLock } from '@scanplane/core';
 * import { runLockConformance } from '@scanplane/core/testing';
 *
 * runLockConformance({ name: 'memory', create: async () => ({ lock: createMemoryLock() }) });
 * ```
 */
export function runLockConformance(options: LockConformanceOptions): void {
  const spacingMs = options.waiterSpacingMs ?? 100;

  defineConformanceSuite('Lock', options, { timeoutMs: 60_000 }, (test) => {
    const name = (): string => `conformance-${randomUUID()}`;
    const mustAcquire = async (lock: Lock, lockName: string): Promise<LockLease> => {
      const lease = await lock.acquire(lockName, { wait: false });
      expect(lease, `acquiring the free lock ${lockName}`).toBeDefined();
      return lease as LockLease;
    };

    test('acquire returns a lease of that name, and release frees the lock', async ({ lock }) => {
      const lockName = name();
      const lease = await mustAcquire(lock, lockName);
      expect(lease.name).toBe(lockName);
      await lease.release();
      const again = await mustAcquire(lock, lockName);
      await again.release();
      const waited = await lock.acquire(lockName);
      expect(waited?.name).toBe(lockName);
      await waited?.release();
    });

    test('a held lock is refused with wait: false, and other names are independent', async ({ lock }) => {
      const lockName = name();
      const lease = await mustAcquire(lock, lockName);
      expect(await lock.acquire(lockName, { wait: false })).toBeUndefined();
      const other = await mustAcquire(lock, name());
      await other.release();
      expect(await lock.acquire(lockName, { wait: false })).toBeUndefined();
      await lease.release();
    });

    test('a waiting acquire resolves once the holder releases', async ({ lock }, context) => {
      const lockName = name();
      const lease = await mustAcquire(lock, lockName);
      const waiting = track(lock.acquire(lockName));
      context.defer(async () => (await waiting.promise)?.release());
      // A round trip to the lock: the waiter must still be waiting while the holder holds it.
      expect(await lock.acquire(lockName, { wait: false })).toBeUndefined();
      expect(waiting.settled, 'the waiter got the lock while it was held').toBe(false);
      await lease.release();
      const granted = await waiting.promise;
      expect(granted?.name).toBe(lockName);
      expect(
        await lock.acquire(lockName, { wait: false }),
        'the lock is held by the waiter now',
      ).toBeUndefined();
      await granted?.release();
      await (await mustAcquire(lock, lockName)).release();
    });

    test('waiters are served first come, first served', async ({ lock }) => {
      const lockName = name();
      const lease = await mustAcquire(lock, lockName);
      const order: number[] = [];
      const waiters: Array<Promise<void>> = [];
      for (let i = 1; i <= 3; i++) {
        waiters.push(
          lock.acquire(lockName).then(async (granted) => {
            order.push(i);
            await granted?.release();
          }),
        );
        await pause(spacingMs);
      }
      expect(order).toEqual([]);
      await lease.release();
      await Promise.all(waiters);
      expect(order).toEqual([1, 2, 3]);
    });

    test('an aborted signal ends a wait with undefined and leaves the lock alone', async ({ lock }) => {
      const lockName = name();
      const lease = await mustAcquire(lock, lockName);
      expect(await lock.acquire(lockName, { signal: AbortSignal.abort() })).toBeUndefined();
      const controller = new AbortController();
      const waiting = lock.acquire(lockName, { signal: controller.signal });
      controller.abort();
      expect(await waiting).toBeUndefined();
      await lease.release();
      // The aborted waiter must not have taken the lock.
      const next = await mustAcquire(lock, lockName);
      await next.release();
    });

    test('concurrent acquirers hold the lock one at a time', async ({ lock }) => {
      const lockName = name();
      let holders = 0;
      let most = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const lease = await lock.acquire(lockName);
          expect(lease).toBeDefined();
          holders++;
          most = Math.max(most, holders);
          await pause(1);
          holders--;
          done++;
          await lease?.release();
        }),
      );
      expect(done).toBe(10);
      expect(most).toBe(1);
    });

    test('releasing twice is harmless and does not release a later holder', async ({ lock }) => {
      const lockName = name();
      const first = await mustAcquire(lock, lockName);
      await first.release();
      await first.release();
      const second = await mustAcquire(lock, lockName);
      await first.release();
      expect(await lock.acquire(lockName, { wait: false }), 'a stale release freed the lock').toBeUndefined();
      await second.release();
      await (await mustAcquire(lock, lockName)).release();
    });
  });
}
