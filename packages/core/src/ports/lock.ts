/**
 * A held lock; release it when done (releasing twice is harmless).
 *
 * @example
 * ```ts
 * import type { LockLease } from '@scanplane/core';
 * async function critical(lease: LockLease, work: () => Promise<void>) {
 *   try {
 *     await work();
 *   } finally {
 *     await lease.release();
 *   }
 * }
 * ```
 */
export interface LockLease {
  /** The name that was acquired. */
  readonly name: string;
  /** Releases the lock to the next waiter, if any. Calls after the first do nothing. */
  release(): Promise<void>;
}

/**
 * The lock port: mutual exclusion by name, across processes where the implementation allows (the scheduler's
 * one-tick-at-a-time lock, per-project submission locks). Implementations: {@link createMemoryLock} (one process),
 * `@scanplane/postgres` (advisory locks).
 *
 * @example
 * ```ts
 * import { createMemoryLock } from '@scanplane/core';
 * const lock = createMemoryLock();
 * const lease = await lock.acquire('scheduler', { wait: false });
 * if (lease) await lease.release();
 * ```
 */
export interface Lock {
  /** A short name of the implementation, for logs. */
  readonly name: string;
  /**
   * Acquires `name`. With `wait: false`, resolves `undefined` at once if it is held; otherwise waits (until the
   * signal aborts, then resolves `undefined`).
   */
  acquire(name: string, options?: { wait?: boolean; signal?: AbortSignal }): Promise<LockLease | undefined>;
}
