import { checkout, type Queryable, type QueryClient } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';

/**
 * Wakes workers waiting for work: resolves their waits when any process commits a task into `queued` (LISTEN/NOTIFY
 * on one connection shared by every wait), or when their time is up — polling stays the backstop, so a lost
 * notification costs at most one poll interval.
 *
 * @example
 * ```ts
 * import { createQueuedSignal } from '@scanplane/postgres';
 * declare const pool: import('@scanplane/postgres').Queryable;
 * declare const store: import('@scanplane/core').TaskStore;
 * const queued = createQueuedSignal({ pool });
 * for (;;) {
 *   const tasks = await store.claim({ workerId: 'w1', limit: 10, leaseMs: 30_000, at: Date.now() });
 *   if (tasks.length === 0) await queued.wait({ timeoutMs: 5000 });
 *   // … run them
 * }
 * ```
 */
export interface QueuedSignal {
  /**
   * Resolves `true` when a task is queued after the call, `false` when `timeoutMs` passes first or `signal` aborts.
   */
  wait(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<boolean>;
  /** Stops listening; pending waits resolve `false`. */
  close(): Promise<void>;
}

/**
 * Creates a {@link QueuedSignal} for a schema (the migrations install the trigger that notifies).
 *
 * @example
 * ```ts
 * import { createQueuedSignal } from '@scanplane/postgres';
 * declare const pool: import('@scanplane/postgres').Queryable;
 * const woke = await createQueuedSignal({ pool }).wait({ timeoutMs: 1000 });
 * ```
 */
export function createQueuedSignal(options: { pool: Queryable; schema?: string }): QueuedSignal {
  const { pool } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  quoteSchema(schema);
  const channel = `scanplane_queued_${schema}`;
  const waiters = new Set<(woke: boolean) => void>();
  let listening: Promise<QueryClient | undefined> | undefined;
  let closed = false;

  const wakeAll = (woke: boolean): void => {
    for (const resolve of [...waiters]) resolve(woke);
  };

  /** The LISTEN connection, opened on first use and again after it is lost. */
  const listen = (): Promise<QueryClient | undefined> => {
    listening ??= (async () => {
      try {
        const client = await checkout(pool);
        const emitter = client as unknown as { on?: (event: string, handler: () => void) => void };
        emitter.on?.('notification', () => wakeAll(true));
        emitter.on?.('error', () => {
          listening = undefined;
          client.release(true);
        });
        await client.query(`LISTEN "${channel}"`);
        return client;
      } catch {
        listening = undefined; // the waits still time out: polling is the backstop
        return undefined;
      }
    })();
    return listening;
  };

  return {
    async wait({ timeoutMs = 5000, signal } = {}) {
      if (closed || signal?.aborted) return false;
      await listen();
      if (closed || signal?.aborted) return false;
      return new Promise<boolean>((resolve) => {
        const done = (woke: boolean): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiters.delete(done);
          resolve(woke);
        };
        const onAbort = (): void => done(false);
        const timer = setTimeout(() => done(false), timeoutMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.add(done);
      });
    },
    async close() {
      closed = true;
      wakeAll(false);
      const client = await listening;
      listening = undefined;
      if (client !== undefined) {
        await client.query(`UNLISTEN "${channel}"`).catch(() => undefined);
        client.release();
      }
    },
  };
}
