import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

describe('createRateLimiter', () => {
  it('gives the burst at once, then refills at the rate', async () => {
    let clock = 0;
    const limiter = createRateLimiter({ ratePerSecond: 10, burst: 3, now: () => clock });
    await limiter.take();
    await limiter.take();
    await limiter.take();
    expect(limiter.available()).toBeLessThan(1);
    clock += 100; // one token at 10 per second
    expect(limiter.available()).toBeCloseTo(1);
    await limiter.take();
    expect(limiter.available()).toBeCloseTo(0);
  });

  it('never saves more than the burst', () => {
    let clock = 0;
    const limiter = createRateLimiter({ ratePerSecond: 20, burst: 5, now: () => clock });
    clock += 60_000;
    expect(limiter.available()).toBe(5);
  });

  it('rejects a wait when the signal aborts', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 0.001, burst: 1 });
    await limiter.take();
    const controller = new AbortController();
    const waiting = limiter.take(controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
  });

  it('refuses a rate that is not positive', () => {
    expect(() => createRateLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});
