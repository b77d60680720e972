import type { HealthReport, QueueMessage, TaskQueue } from '@scanplane/core';
import { EventEmitter } from 'eventemitter3';
import { translateError } from './pg-errors.js';
import { probeHealth } from './query-helpers.js';
import { checkout, type Queryable, type QueryClient } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';

/**
 * Options of {@link createOutboxRelay}.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { OutboxRelayOptions } from '@scanplane/postgres';
 * declare const queue: import('@scanplane/core').TaskQueue;
 * const options: OutboxRelayOptions = { pool: new pg.Pool(), queue, batchSize: 500 };
 * ```
 */
export interface OutboxRelayOptions {
  /** A `pg.Pool`, or anything with its query interface. */
  pool: Queryable;
  /** The schema holding the outbox. Default `scanplane`. */
  schema?: string;
  /** The broker to publish to (the real queue, e.g. `@scanplane/rabbitmq`'s). */
  queue: TaskQueue;
  /** Rows published per round. Default 500. */
  batchSize?: number;
  /** How often to look for unsent rows when nothing woke the relay, in ms. Default 250. */
  pollMs?: number;
  /**
   * Listens (LISTEN/NOTIFY, on one connection of its own) for rows committed by any process, so they are published
   * at once rather than at the next poll; polling stays as the backstop. Default true.
   */
  listen?: boolean;
  /** Wall clock for `sent_at`. Default `Date.now`. */
  now?: () => number;
}

/**
 * Events of an {@link OutboxRelay}.
 *
 * @example
 * ```ts
 * import type { OutboxRelayEvents } from '@scanplane/postgres';
 * const onSent: OutboxRelayEvents['sent'] = (count) => console.log(`published ${count}`);
 * ```
 */
export interface OutboxRelayEvents {
  /** A round published and marked this many rows. */
  sent: (count: number) => void;
  /** A round failed (the rows stay unsent and are tried again). */
  error: (error: Error) => void;
}

/**
 * Publishes the outbox: the rows a {@link createPostgresTaskStore} with `outbox: true` writes in the same
 * transaction as the tasks they announce. Each round locks a batch of unsent rows (`FOR UPDATE SKIP LOCKED`, so
 * several relays share the work), publishes them through the queue and waits for the broker's confirmation, then
 * marks them sent in the same transaction. A crash before that commit leaves them unsent, and the next round (in
 * this process or another) publishes them again: a message may arrive twice, never not at all; the worker's guarded
 * claim makes the second one a no-op.
 *
 * @example
 * ```ts
 * import { createOutboxRelay } from '@scanplane/postgres';
 * declare const pool: import('@scanplane/postgres').Queryable;
 * declare const rabbit: import('@scanplane/core').TaskQueue;
 * const relay = createOutboxRelay({ pool, queue: rabbit });
 * relay.start();
 * // … on shutdown:
 * await relay.close();
 * ```
 */
export interface OutboxRelay {
  /** Typed events. */
  readonly events: EventEmitter<OutboxRelayEvents>;
  /** Starts relaying in the background until {@link OutboxRelay.close}. */
  start(): void;
  /** Publishes what is unsent now, round after round until none is left; returns how many rows it sent. */
  drain(): Promise<number>;
  /** Makes the background loop look now instead of at its next poll. */
  wake(): void;
  /** Unsent rows. */
  pending(): Promise<number>;
  /** Stops the loop after the round in progress. */
  close(): Promise<void>;
  /** Checks the outbox table for real. */
  health(): Promise<HealthReport>;
}

interface OutboxRow {
  id: string;
  task_id: string;
  project: string;
  kind: string;
  priority: number;
  not_before: number | null;
}

/**
 * Creates an {@link OutboxRelay}.
 *
 * @example
 * ```ts
 * import { createOutboxRelay } from '@scanplane/postgres';
 * declare const pool: import('@scanplane/postgres').Queryable;
 * declare const queue: import('@scanplane/core').TaskQueue;
 * const sent = await createOutboxRelay({ pool, queue }).drain();
 * ```
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, queue } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 250;
  const now = options.now ?? Date.now;
  const events = new EventEmitter<OutboxRelayEvents>();
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let listener: QueryClient | undefined;
  const channel = `scanplane_outbox_${schema}`;

  /** Holds a LISTEN connection while running; on its loss, tries again at the next poll. */
  const listen = async (): Promise<void> => {
    if (options.listen === false || listener !== undefined || !running) return;
    try {
      const client = await checkout(pool);
      const emitter = client as unknown as {
        on?: (event: string, handler: (...args: unknown[]) => void) => void;
      };
      emitter.on?.('notification', () => wakeUp?.());
      emitter.on?.('error', () => {
        if (listener === client) listener = undefined;
        client.release(true);
      });
      await client.query(`LISTEN "${channel}"`);
      listener = client;
    } catch {
      // Polling covers for it; the next round tries again.
    }
  };

  /** One round: publishes up to a batch; returns how many rows it sent. */
  const round = async (): Promise<number> => {
    let client: QueryClient;
    try {
      client = await checkout(pool);
    } catch (error) {
      throw translateError(error, 'relaying the outbox');
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const rows = (
        await client.query<OutboxRow>(
          `SELECT id::text, task_id, project, kind, priority, not_before FROM ${s}.outbox
           WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [batchSize],
        )
      ).rows;
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const messages = rows.map((row): QueueMessage => {
        const message: QueueMessage = {
          taskId: row.task_id,
          project: row.project,
          kind: row.kind,
          priority: row.priority,
        };
        if (row.not_before !== null) message.notBefore = row.not_before;
        return message;
      });
      try {
        await queue.publish(messages);
      } catch (error) {
        // Not published: count the attempt and keep the rows for the next round.
        await client.query(
          `UPDATE ${s}.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`,
          [rows.map((row) => row.id), (error as Error).message.slice(0, 1000)],
        );
        await client.query('COMMIT');
        throw error;
      }
      await client.query(
        `UPDATE ${s}.outbox SET sent_at = $2::float8, attempts = attempts + 1 WHERE id = ANY($1::bigint[])`,
        [rows.map((row) => row.id), now()],
      );
      await client.query('COMMIT');
      events.emit('sent', rows.length);
      return rows.length;
    } catch (error) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw translateError(error, 'relaying the outbox');
    } finally {
      client.release(broken || undefined);
    }
  };

  const drain = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const sent = await round();
      total += sent;
      if (sent < batchSize) return total;
    }
  };

  const sleep = (): Promise<void> =>
    new Promise((resolve) => {
      wakeUp = resolve;
      timer = setTimeout(resolve, pollMs);
    });

  return {
    events,
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          await listen();
          try {
            await drain();
          } catch (error) {
            events.emit('error', error as Error);
          }
          if (!running) break;
          await sleep();
          clearTimeout(timer);
          wakeUp = undefined;
        }
      })();
    },
    drain,
    wake() {
      wakeUp?.();
    },
    async pending() {
      try {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${s}.outbox WHERE sent_at IS NULL`,
        );
        return rows[0]?.n ?? 0;
      } catch (error) {
        throw translateError(error, 'counting unsent outbox rows');
      }
    },
    async close() {
      running = false;
      wakeUp?.();
      clearTimeout(timer);
      await loop;
      const client = listener;
      listener = undefined;
      if (client !== undefined) {
        await client.query(`UNLISTEN "${channel}"`).catch(() => undefined);
        client.release();
      }
    },
    health: () =>
      probeHealth(`outbox:${schema}`, 'checking the outbox', async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${s}.outbox WHERE sent_at IS NULL`,
        );
        return `${rows[0]?.n ?? 0} unsent`;
      }),
  };
}

/**
 * A `TaskQueue` for an orchestrator or scheduler whose store writes an outbox: `publish` does not talk to the
 * broker (the rows are already in the outbox, committed with the tasks) — it makes sure every queued task named
 * has its row (a store without `outbox: true` is covered too) and wakes the relay. Consuming, purging, cancel
 * notices and health go to the real queue.
 *
 * @example
 * ```ts
 * import { createOutboxQueue, createOutboxRelay } from '@scanplane/postgres';
 * declare const pool: import('@scanplane/postgres').Queryable;
 * declare const rabbit: import('@scanplane/core').TaskQueue;
 * const relay = createOutboxRelay({ pool, queue: rabbit });
 * const queue = createOutboxQueue({ pool, queue: rabbit, relay });
 * ```
 */
export function createOutboxQueue(options: {
  /** A `pg.Pool`, or anything with its query interface. */
  pool: Queryable;
  /** The schema holding the tasks and the outbox. Default `scanplane`. */
  schema?: string;
  /** The real queue. */
  queue: TaskQueue;
  /** The relay to wake after a publish. */
  relay: OutboxRelay;
  /** Wall clock for rows this queue writes. Default `Date.now`. */
  now?: () => number;
}): TaskQueue {
  const { pool, queue, relay } = options;
  const s = quoteSchema(options.schema ?? DEFAULT_SCHEMA);
  const now = options.now ?? Date.now;
  return {
    name: `outbox(${queue.name})`,
    capabilities: queue.capabilities,
    async publish(messages) {
      if (messages.length === 0) return;
      try {
        await pool.query(
          `INSERT INTO ${s}.outbox (task_id, task_version, project, kind, priority, not_before, created_at)
           SELECT t.id, t.version, t.project, t.kind, t.priority, t.not_before, $2::float8
           FROM ${s}.tasks t WHERE t.id = ANY($1::text[]) AND t.status = 'queued'
           ON CONFLICT (task_id, task_version) DO NOTHING`,
          [messages.map((m) => m.taskId), now()],
        );
      } catch (error) {
        throw translateError(error, `recording ${messages.length} messages in the outbox`);
      }
      relay.wake();
    },
    consume: (handler, consumeOptions) => queue.consume(handler, consumeOptions),
    purge: (project) => queue.purge(project),
    depth: (kind) => queue.depth(kind),
    broadcastCancel: (notice) => queue.broadcastCancel(notice),
    onCancel: (listener) => queue.onCancel(listener),
    health: () => queue.health(),
    close: () => queue.close(),
  };
}
