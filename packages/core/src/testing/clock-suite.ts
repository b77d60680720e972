import { expect } from 'vitest';
import type { Clock } from '../clock/clock.js';
import {
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
} from './conformance-harness.js';

/**
 * What the clock suite's `create` returns: a clock, and for a clock that only moves when told (like
 * `createManualClock`), how to move it.
 *
 * @example
 * ```ts
 * import { createManualClock } from '@scanplane/core';
 * import type { ClockSubject } from '@scanplane/core/testing';
 * const clock = createManualClock(0);
 * const subject: ClockSubject = { clock, advance: (ms) => clock.advance(ms) };
 * ```
 */
export interface ClockSubject extends ConformanceSubject {
  /** The clock under test. */
  clock: Clock;
  /** Moves the clock forward by `ms`, waking due sleepers; omit for clocks that follow real time. */
  advance?: (ms: number) => Promise<void>;
}

/**
 * Options for {@link runClockConformance}.
 *
 * @example
 * ```ts
 * import { systemClock } from '@scanplane/core';
 * import type { ClockConformanceOptions } from '@scanplane/core/testing';
 * const options: ClockConformanceOptions = { name: 'system', create: async () => ({ clock: systemClock }) };
 * ```
 */
export interface ClockConformanceOptions extends ConformanceOptions<ClockSubject> {}

/** Timers may fire this many milliseconds before the wall clock says the time has come. */
const TIMER_SLACK_MS = 10;

/**
 * Registers the conformance tests of the {@link Clock} port: `now()` never decreases (and moves with `advance` for
 * a manual clock), `sleep` resolves `true` once its time has passed (not before), and an aborted signal (before or
 * during the sleep) resolves it `false`. `create` is called once per test.
 *
 * @example
 * ```ts
 * import { createManualClock, systemClock } from '@scanplane/core';
 * import { runClockConformance } from '@scanplane/core/testing';
 *
 * runClockConformance({ name: 'system', create: async () => ({ clock: systemClock }) });
 * runClockConformance({
 *   name: 'manual',
 *   create: async () => {
 *     const clock = createManualClock(Date.parse('2026-01-01T00:00:00Z'));
 *     return { clock, advance: (ms) => clock.advance(ms) };
 *   },
 * });
 * ```
 */
export function runClockConformance(options: ClockConformanceOptions): void {
  defineConformanceSuite('Clock', options, { timeoutMs: 30_000 }, (test) => {
    test('now never decreases', async ({ clock, advance }) => {
      let previous = clock.now();
      expect(Number.isFinite(previous)).toBe(true);
      for (let i = 0; i < 1_000; i++) {
        const now = clock.now();
        expect(now).toBeGreaterThanOrEqual(previous);
        previous = now;
        if (i % 100 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (advance !== undefined) {
        const before = clock.now();
        await advance(1_000);
        expect(clock.now()).toBeGreaterThanOrEqual(before + 1_000);
      }
    });

    test('sleep resolves true once its time has passed', async ({ clock, advance }) => {
      const ms = 100;
      await new Promise<void>((resolve) => setImmediate(resolve));
      const start = clock.now();
      let settled = false;
      const sleeping = clock.sleep(ms).then((value) => {
        settled = true;
        return value;
      });
      if (advance !== undefined) {
        await advance(ms - 1);
        expect(settled, 'sleep resolved before its time').toBe(false);
        await advance(1);
      }
      expect(await sleeping).toBe(true);
      expect(clock.now() - start, 'sleep resolved before its time').toBeGreaterThanOrEqual(
        ms - TIMER_SLACK_MS,
      );
    });

    test('an aborted signal resolves sleep false', async ({ clock }) => {
      expect(await clock.sleep(10, AbortSignal.abort())).toBe(false);
      const controller = new AbortController();
      const sleeping = clock.sleep(60_000, controller.signal);
      controller.abort();
      expect(await sleeping).toBe(false);
    });
  });
}
