/**
 * The clock port: what time it is, and waiting. Lifecycle deadlines, leases, backoff and the reaper all read time
 * through it, so tests can drive them with {@link createManualClock} instead of waiting.
 *
 * @example
 * ```ts
 * import { systemClock, type Clock } from '@scanplane/core';
 * const clock: Clock = systemClock;
 * const deadline = clock.now() + 30_000;
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves `true` after `ms` milliseconds, or `false` as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

/**
 * The real clock: `Date.now()` and ordinary timers. A pending sleep keeps the process alive, as pending work should
 * (a task waiting out its retry backoff); background loops end when their owner is closed.
 *
 * @example
 * ```ts
 * import { systemClock } from '@scanplane/core';
 * await systemClock.sleep(100);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/**
 * A clock that only moves when told to, for deterministic tests of timeouts, leases and backoff.
 *
 * @example
 * ```ts
 * import { createManualClock } from '@scanplane/core';
 * const clock = createManualClock(0);
 * const woke = clock.sleep(1000);
 * await clock.advance(1000); // woke resolves true
 * ```
 */
export interface ManualClock extends Clock {
  /** Moves time forward, waking every sleeper whose time has come, in order (sleeps of 0 ms resolve at once). */
  advance(ms: number): Promise<void>;
  /** Sets the time (it may not go backwards). */
  set(time: number): Promise<void>;
  /** Number of sleepers waiting. */
  readonly pending: number;
}

/**
 * Creates a {@link ManualClock} starting at `start` (epoch milliseconds).
 *
 * @example
 * ```ts
 * import { createManualClock } from '@scanplane/core';
 * const clock = createManualClock(Date.parse('2026-01-01T00:00:00Z'));
 * clock.now(); // 1767225600000
 * ```
 */
export function createManualClock(start = 0): ManualClock {
  let time = start;
  let sequence = 0;
  const sleepers: Array<{ at: number; order: number; wake: (value: boolean) => void }> = [];
  const settle = async (): Promise<void> => {
    // Let woken tasks run (they may schedule new sleeps) before returning to the test.
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const clock: ManualClock = {
    now: () => time,
    get pending() {
      return sleepers.length;
    },
    sleep(ms, signal) {
      return new Promise((resolve) => {
        if (signal?.aborted) return resolve(false);
        // A sleep of no time is already over: it does not wait for the clock to move.
        if (ms <= 0) return resolve(true);
        const sleeper = {
          at: time + Math.max(0, ms),
          order: sequence++,
          wake: (value: boolean) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(value);
          },
        };
        const onAbort = (): void => {
          const index = sleepers.indexOf(sleeper);
          if (index !== -1) sleepers.splice(index, 1);
          resolve(false);
        };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async advance(ms) {
      await clock.set(time + ms);
    },
    async set(target) {
      if (target < time) throw new RangeError(`a manual clock cannot go back (from ${time} to ${target})`);
      for (;;) {
        sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = sleepers[0];
        if (next === undefined || next.at > target) break;
        sleepers.shift();
        time = next.at;
        next.wake(true);
        await settle();
      }
      time = target;
      await settle();
    },
  };
  return clock;
}
