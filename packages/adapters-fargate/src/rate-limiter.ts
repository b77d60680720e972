import { sleep } from './sleep.js';

/**
 * A token bucket that spaces calls: `ratePerSecond` tokens a second, at most `burst` saved up. `take` resolves when a
 * token is available (in call order) or rejects when the signal aborts.
 *
 * @example
 * ```ts
 * import { createRateLimiter } from '@scanplane/fargate';
 * const limiter = createRateLimiter({ ratePerSecond: 20, burst: 5 });
 * await limiter.take(); // then call RunTask
 * ```
 */
export interface RateLimiter {
  /** Waits for a token. */
  take(signal?: AbortSignal): Promise<void>;
  /** Tokens available now (fractional). */
  available(): number;
}

/**
 * Options of {@link createRateLimiter}.
 *
 * @example
 * ```ts
 * import type { RateLimiterOptions } from '@scanplane/fargate';
 * const options: RateLimiterOptions = { ratePerSecond: 20, burst: 10 };
 * ```
 */
export interface RateLimiterOptions {
  /** Sustained calls per second (RunTask: 20). */
  ratePerSecond: number;
  /** Calls that may go at once after a pause. Default 1. */
  burst?: number;
  /** The clock, in milliseconds. Default `performance.now`. */
  now?: () => number;
}

/**
 * Creates a {@link RateLimiter}: a token bucket, first come first served.
 *
 * @example
 * ```ts
 * import { createRateLimiter } from '@scanplane/fargate';
 * const limiter = createRateLimiter({ ratePerSecond: 20 });
 * for (let i = 0; i < 3; i++) await limiter.take();
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  const burst = Math.max(1, options.burst ?? 1);
  const now = options.now ?? (() => performance.now());
  const perMs = options.ratePerSecond / 1000;
  let tokens = burst;
  let last = now();
  let queue: Promise<void> = Promise.resolve();

  const refill = (): void => {
    const at = now();
    tokens = Math.min(burst, tokens + (at - last) * perMs);
    last = at;
  };

  const takeNow = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.max(1, Math.ceil((1 - tokens) / perMs)), signal);
    }
  };

  return {
    take(signal) {
      const turn = queue.then(() => takeNow(signal));
      queue = turn.catch(() => undefined);
      return turn;
    },
    available() {
      refill();
      return tokens;
    },
  };
}
