import { describe, expect, it } from 'vitest';
import {
  checkKind,
  deadQueueArguments,
  delayBucket,
  delayQueueArguments,
  MAX_DELAY_BUCKET_MS,
  MIN_DELAY_MS,
  topologyNames,
  workQueueArguments,
} from './topology.js';

describe('delayBucket', () => {
  it('is never below the delay and at most ~15% above it', () => {
    for (let ms = MIN_DELAY_MS + 1; ms < 5_000_000; ms = Math.ceil(ms * 1.013) + 1) {
      const bucket = delayBucket(ms);
      expect(bucket).toBeGreaterThanOrEqual(ms);
      expect(bucket / ms).toBeLessThanOrEqual(1.16);
    }
  });

  it('keeps exact E24 values, and few buckets cover a wide range', () => {
    expect(delayBucket(1500)).toBe(1500);
    expect(delayBucket(1234)).toBe(1300);
    expect(delayBucket(91)).toBe(91);
    expect(delayBucket(92)).toBe(100);
    const buckets = new Set<number>();
    for (let ms = 11; ms < 86_400_000; ms += Math.ceil(ms / 100)) buckets.add(delayBucket(ms));
    // Ten milliseconds to a day: under eight decades of 24.
    expect(buckets.size).toBeLessThanOrEqual(24 * 8);
  });

  it('clamps at both ends', () => {
    expect(delayBucket(0)).toBe(MIN_DELAY_MS);
    expect(delayBucket(-5)).toBe(MIN_DELAY_MS);
    expect(delayBucket(Number.NaN)).toBe(MIN_DELAY_MS);
    expect(delayBucket(10 * MAX_DELAY_BUCKET_MS)).toBe(MAX_DELAY_BUCKET_MS);
  });
});

describe('names and arguments', () => {
  it('names everything under the prefix', () => {
    const names = topologyNames('acme');
    expect(names.workQueue('tcp-connect')).toBe('acme.tasks.tcp-connect');
    expect(names.delayQueue(1500)).toBe('acme.delay.1500');
    expect([names.tasks, names.delay, names.dead, names.deadQueue, names.cancel]).toEqual([
      'acme.tasks',
      'acme.delay',
      'acme.dead',
      'acme.dead',
      'acme.cancel',
    ]);
  });

  it('refuses prefixes and kinds that cannot be queue names, saying where', () => {
    expect(() => topologyNames('')).toThrow(/prefix ""/);
    expect(() => topologyNames('a b')).toThrow(/prefix "a b"/);
    expect(() => checkKind('x'.repeat(121), 'publish: message 3')).toThrow(
      /^\[scanplane\] \[rabbitmq\] publish: message 3: kind/,
    );
    expect(() => checkKind('ok.kind:v2_x-y', 'consume')).not.toThrow();
  });

  it('declares quorum queues with a delivery limit and at-least-once dead-lettering, classic ones with priorities', () => {
    const names = topologyNames('p');
    expect(workQueueArguments({ type: 'quorum', deliveryLimit: 5, maxPriority: 10 }, names)).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': 'p.dead',
      'x-delivery-limit': 5,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    expect(
      workQueueArguments({ type: 'quorum', deliveryLimit: 0, maxPriority: 10 }, names),
    ).not.toHaveProperty('x-delivery-limit');
    expect(workQueueArguments({ type: 'classic', deliveryLimit: 5, maxPriority: 7 }, names)).toEqual({
      'x-queue-type': 'classic',
      'x-dead-letter-exchange': 'p.dead',
      'x-max-priority': 7,
    });
    expect(
      delayQueueArguments({ type: 'classic', deliveryLimit: 5, maxPriority: 7 }, names, 1500),
    ).toMatchObject({
      'x-message-ttl': 1500,
      'x-dead-letter-exchange': 'p.tasks',
    });
    expect(deadQueueArguments({ type: 'quorum', deliveryLimit: 5, maxPriority: 7 })).toEqual({
      'x-queue-type': 'quorum',
    });
  });
});
