import { Cron } from 'croner';

/**
 * A parsed cron schedule.
 *
 * @internal
 */
export interface CronSchedule {
  /** The first fire time strictly after `afterMs` (epoch milliseconds), or undefined if there is none. */
  nextAfter(afterMs: number): number | undefined;
}

const cache = new Map<string, CronSchedule>();
const CACHE_LIMIT = 512;

/**
 * Parses a cron expression (croner's syntax: 5 fields, or 6 with seconds, `@daily` and friends; day-of-month and
 * day-of-week combine with OR, like Vixie cron) in an IANA time zone (default UTC). Parsed schedules are cached.
 *
 * @throws Error from croner when the expression or the time zone is not valid.
 * @internal
 */
export function parseCron(expression: string, timezone = 'UTC'): CronSchedule {
  const key = `${timezone}\u0000${expression}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  if (typeof expression !== 'string' || expression.trim() === '') throw new Error('the expression is empty');
  const cron = new Cron(expression, { timezone, paused: true });
  // croner checks the time zone only when it computes a date: make it do so now (and refuse a schedule that never
  // fires, such as February 30th).
  if (cron.nextRun(new Date(0)) === null) throw new Error(`'${expression}' never fires`);
  const schedule: CronSchedule = {
    nextAfter(afterMs) {
      const next = cron.nextRun(new Date(afterMs));
      return next === null ? undefined : next.getTime();
    },
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, schedule);
  return schedule;
}
