import { type Lock, type LockLease, ScanplaneError } from '@scanplane/core';
import { translateError } from './pg-errors.js';
import { checkout, type Queryable, type QueryClient } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';

/**
 * Options of {@link createPostgresLock}.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresLockOptions } from '@scanplane/postgres';
 * const options: PostgresLockOptions = {
 *   pool: new pg.Pool(),
 *   schema: 'scanplane',
 *   onLost: (lease, error) => console.error(`lost ${lease.name}: ${error.message}`),
 * };
 * ```
 */
export interface PostgresLockOptions {
  /**
   * A `pg.Pool`, or anything with its query interface. Every held lock keeps one of its connections checked out:
   * size the pool for the locks held at once plus the application's own queries. The connections must be real
   * sessions (not a transaction-pooling PgBouncer): the locks are session-level.
   */
  pool: Queryable;
  /**
   * The namespace of the lock keys: lock `name` is the advisory lock `hashtextextended('<schema>:<name>', 0)`, so
   * deployments on different schemas of one database do not exclude each other. No table is used. Default
   * `scanplane`.
   */
  schema?: string;
  /** First pause of a waiting acquire between two tries, in milliseconds. Default 25. */
  minPollMs?: number;
  /** Longest pause of a waiting acquire between two tries (the pause doubles up to it). Default 1000. */
  maxPollMs?: number;
  /**
   * How often a held lock's connection is checked with a round trip, in milliseconds; a check that fails or gets
   * no answer within the same time declares the lock lost (and closes the connection, which frees the lock on the
   * server). A connection the server closes (a restart, `pg_terminate_backend`) is noticed at once, without a
   * check; the check catches connections that die silently. 0 turns it off. Default 10000.
   */
  checkIntervalMs?: number;
  /** Called when a held lock is lost (see {@link PostgresLockLease.lost}), with the lease and why. */
  onLost?: (lease: PostgresLockLease, error: ScanplaneError) => void;
}

/**
 * A lock held on PostgreSQL. Besides the port's `release`, it says when the lock was lost: a session-level
 * advisory lock lives as long as the connection holding it, and a connection can die (a server restart, a
 * failover, `pg_terminate_backend`, a network failure) while the holder still works under the lock.
 *
 * @example
 * ```ts
 * import type { PostgresLockLease } from '@scanplane/postgres';
 * declare const lease: PostgresLockLease;
 * declare function tick(signal: AbortSignal): Promise<void>;
 * try {
 *   await tick(lease.lost); // stops when the lock is lost
 * } finally {
 *   await lease.release();
 * }
 * ```
 */
export interface PostgresLockLease extends LockLease {
  /**
   * Aborted when the lock is lost — its connection closed or stopped answering — with a `ScanplaneError`
   * `UNAVAILABLE` as its reason. Another process may hold the lock from then on. Never aborted by `release`.
   */
  readonly lost: AbortSignal;
}

/**
 * The `Lock` on PostgreSQL advisory locks: its leases are {@link PostgresLockLease}s.
 *
 * @example
 * ```ts
 * import type { PostgresLock } from '@scanplane/postgres';
 * declare const lock: PostgresLock;
 * const lease = await lock.acquire('scheduler', { wait: false });
 * lease?.lost.addEventListener('abort', () => console.error('scheduler lock lost'));
 * ```
 */
export interface PostgresLock extends Lock {
  /** The schema that namespaces the lock keys. */
  readonly schema: string;
  /**
   * Acquires `name`. With `wait: false` (or an aborted signal), resolves `undefined` at once if it is held;
   * otherwise tries again with a growing pause until it gets it or the signal aborts (then `undefined`).
   * Acquires waiting in this process are served first come, first served; across processes, whoever tries first
   * after a release wins.
   *
   * @throws `ScanplaneError` `UNAVAILABLE` when the server cannot be reached (also ending a wait).
   */
  acquire(
    name: string,
    options?: { wait?: boolean; signal?: AbortSignal },
  ): Promise<PostgresLockLease | undefined>;
}

interface Waiter {
  /** Whether it waits (false: one try). */
  wait: boolean;
  /** Whether it has been settled. */
  done: boolean;
  resolve: (lease: PostgresLockLease | undefined) => void;
  reject: (error: unknown) => void;
  /** Removes its abort listener. */
  detach?: () => void;
}

/** What this lock object knows of one name: whether one of its leases holds it, and who waits for it here. */
interface NameState {
  held: boolean;
  queue: Waiter[];
  pumping: boolean;
  /** Ends the current pause between two tries early. */
  wake?: (() => void) | undefined;
}

interface ClientEvents {
  on?: (event: 'error' | 'end', listener: (error?: unknown) => void) => void;
  off?: (event: 'error' | 'end', listener: (error?: unknown) => void) => void;
}

const LOCK_SQL = 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked';
const UNLOCK_SQL = 'SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS unlocked';

/**
 * Creates a {@link PostgresLock}: mutual exclusion by name across every process using the same database and
 * schema, on session-level advisory locks. A held lock keeps one dedicated connection checked out of the pool, on
 * which it was taken (`pg_try_advisory_lock`) and on which it is released (`pg_advisory_unlock`) before the
 * connection goes back to the pool. If that connection dies the server frees the lock; the lease says so through
 * its `lost` signal and the `onLost` option (the core `Lock` port has no notion of loss: code holding a lock for
 * long should watch `lost`). A waiting acquire holds no connection between its tries.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` for a bad schema name or poll options.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresLock } from '@scanplane/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const lock = createPostgresLock({ pool });
 * const lease = await lock.acquire('scheduler', { signal: AbortSignal.timeout(5_000) });
 * if (lease) {
 *   try {
 *     // one scheduler tick, in one process at a time
 *   } finally {
 *     await lease.release();
 *   }
 * }
 * ```
 */
export function createPostgresLock(options: PostgresLockOptions): PostgresLock {
  const { pool, onLost } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  quoteSchema(schema); // validates it
  const minPollMs = options.minPollMs ?? 25;
  const maxPollMs = options.maxPollMs ?? 1000;
  const checkIntervalMs = options.checkIntervalMs ?? 10_000;
  for (const [option, value] of [
    ['minPollMs', minPollMs],
    ['maxPollMs', maxPollMs],
    ['checkIntervalMs', checkIntervalMs],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `${option} must be a non-negative number of milliseconds`,
        {
          details: { [option]: String(value) },
        },
      );
    }
  }
  if (minPollMs > maxPollMs || maxPollMs === 0) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'maxPollMs must be positive and at least minPollMs', {
      details: { minPollMs, maxPollMs },
    });
  }

  const states = new Map<string, NameState>();
  const keyOf = (name: string): string => `${schema}:${name}`;

  const stateOf = (name: string): NameState => {
    let state = states.get(name);
    if (state === undefined) {
      state = { held: false, queue: [], pumping: false };
      states.set(name, state);
    }
    return state;
  };
  const forgetIfIdle = (name: string, state: NameState): void => {
    if (!state.held && !state.pumping && state.queue.length === 0 && states.get(name) === state) {
      states.delete(name);
    }
  };

  const settle = (waiter: Waiter, outcome: () => void): void => {
    if (waiter.done) return;
    waiter.done = true;
    waiter.detach?.();
    outcome();
  };

  /** One try: a connection holding the lock, or undefined (the connection went back to the pool). */
  const tryLock = async (name: string): Promise<QueryClient | undefined> => {
    let client: QueryClient;
    try {
      client = await checkout(pool);
    } catch (error) {
      throw translateError(error, `connecting to take lock ${name}`);
    }
    try {
      const { rows } = await client.query<{ locked: boolean }>(LOCK_SQL, [keyOf(name)]);
      if (rows[0]?.locked === true) return client;
      client.release();
      return undefined;
    } catch (error) {
      client.release(true); // whatever happened, closing the session leaves no lock behind
      throw translateError(error, `taking lock ${name}`);
    }
  };

  /** Releases the lock on its connection and returns the connection (closes it if that failed). */
  const unlock = async (name: string, client: QueryClient): Promise<void> => {
    try {
      const { rows } = await client.query<{ unlocked: boolean }>(UNLOCK_SQL, [keyOf(name)]);
      client.release(rows[0]?.unlocked === true ? undefined : true);
    } catch {
      client.release(true); // closing the session frees its locks
    }
  };

  const pause = (state: NameState, ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        state.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms * (0.75 + Math.random() / 2));
      state.wake = done;
    });

  /** The lock is free of this object's leases: the next local waiter may try. */
  const freed = (name: string, state: NameState): void => {
    state.held = false;
    if (state.queue.length > 0) void pump(name, state);
    else forgetIfIdle(name, state);
  };

  const grant = (name: string, state: NameState, client: QueryClient): PostgresLockLease => {
    state.held = true;
    const lostController = new AbortController();
    let status: 'held' | 'released' | 'lost' = 'held';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const events = client as unknown as ClientEvents;

    const detach = (): void => {
      events.off?.('error', onGone);
      events.off?.('end', onGone);
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const lose = (cause: unknown): void => {
      if (status !== 'held') return;
      status = 'lost';
      detach();
      client.release(true);
      const error = new ScanplaneError(
        'UNAVAILABLE',
        `lock ${name} was lost: its PostgreSQL connection ${
          cause instanceof Error ? `failed (${cause.message})` : 'closed'
        }; another process may hold it now`,
        { cause, details: { lock: name, schema } },
      );
      lostController.abort(error);
      freed(name, state);
      try {
        onLost?.(lease, error);
      } catch {
        // a listener's failure must not break the lock
      }
    };
    function onGone(error?: unknown): void {
      lose(error);
    }
    const check = async (): Promise<void> => {
      timer = undefined;
      if (status !== 'held') return;
      let deadline: ReturnType<typeof setTimeout> | undefined;
      try {
        const answer = client.query('SELECT 1');
        answer.catch(() => undefined); // it may settle after the deadline
        await Promise.race([
          answer,
          new Promise((_, reject) => {
            deadline = setTimeout(
              () => reject(new Error(`no answer to a check within ${checkIntervalMs} ms`)),
              checkIntervalMs,
            );
          }),
        ]);
      } catch (error) {
        lose(error);
        return;
      } finally {
        clearTimeout(deadline);
      }
      schedule();
    };
    const schedule = (): void => {
      if (checkIntervalMs === 0 || status !== 'held') return;
      timer = setTimeout(() => void check(), checkIntervalMs);
      timer.unref?.();
    };

    const lease: PostgresLockLease = {
      name,
      lost: lostController.signal,
      async release() {
        if (status !== 'held') return;
        status = 'released';
        detach();
        await unlock(name, client);
        freed(name, state);
      },
    };
    events.on?.('error', onGone);
    events.on?.('end', onGone);
    schedule();
    return lease;
  };

  /** Serves the local waiters of `name` in order, one try at a time, while no local lease holds it. */
  const pump = async (name: string, state: NameState): Promise<void> => {
    if (state.pumping) return;
    state.pumping = true;
    let delay = 0;
    try {
      while (!state.held && state.queue.length > 0) {
        let client: QueryClient | undefined;
        try {
          client = await tryLock(name);
        } catch (error) {
          const head = state.queue.shift();
          if (head !== undefined) settle(head, () => head.reject(error));
          delay = 0;
          continue;
        }
        // Waiters that aborted during the try have left the queue: the first one left is served.
        const head = state.queue.shift();
        if (client !== undefined) {
          if (head === undefined) await unlock(name, client);
          else settle(head, () => head.resolve(grant(name, state, client)));
          break;
        }
        if (head !== undefined && !head.wait) {
          settle(head, () => head.resolve(undefined));
          delay = 0;
          continue;
        }
        if (head !== undefined) state.queue.unshift(head);
        if (state.queue.length === 0) break;
        delay = delay === 0 ? Math.max(1, minPollMs) : Math.min(maxPollMs, delay * 2);
        await pause(state, delay);
      }
    } finally {
      state.pumping = false;
      // A release during the last try found the pump busy: serve the queue now.
      if (!state.held && state.queue.length > 0) void pump(name, state);
      else forgetIfIdle(name, state);
    }
  };

  return {
    name: 'postgres',
    schema,
    acquire(name, acquireOptions = {}) {
      if (typeof name !== 'string') {
        return Promise.reject(new ScanplaneError('INVALID_ARGUMENT', 'a lock name must be a string'));
      }
      const { signal } = acquireOptions;
      const wait = acquireOptions.wait !== false && signal?.aborted !== true;
      const state = stateOf(name);
      // Held here, or others here are waiting first: refused without a round trip.
      if (!wait && (state.held || state.queue.length > 0)) return Promise.resolve(undefined);
      return new Promise<PostgresLockLease | undefined>((resolve, reject) => {
        const waiter: Waiter = { wait, done: false, resolve, reject };
        if (wait && signal !== undefined) {
          const onAbort = (): void => {
            settle(waiter, () => resolve(undefined));
            const index = state.queue.indexOf(waiter);
            if (index !== -1) state.queue.splice(index, 1);
            if (state.queue.length === 0) state.wake?.();
          };
          signal.addEventListener('abort', onAbort, { once: true });
          waiter.detach = () => signal.removeEventListener('abort', onAbort);
        }
        state.queue.push(waiter);
        void pump(name, state);
      });
    },
  };
}
