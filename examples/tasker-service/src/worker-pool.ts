import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ScanplaneError } from '@scanplane/core';
import { isWorkerMessage, replayWorkerEvent, type TaskEvents } from './worker-events.js';

/** The worker process script. */
export const WORKER_SCRIPT = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
/** The example's directory: worker processes run there, so `--import tsx` resolves its tsx. */
const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Options of {@link createWorkerPool}.
 *
 * @example
 * ```ts
 * import type { WorkerPoolOptions } from './worker-pool.js';
 * const options: WorkerPoolOptions = {
 *   count: 2,
 *   env: { SCANPLANE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', SCANPLANE_AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672' },
 * };
 * ```
 */
export interface WorkerPoolOptions {
  /** Worker processes. */
  count: number;
  /** Their configuration (the `SCANPLANE_*` and `TASKER_*` variables of `worker-main.ts`), added to this environment. */
  env: Record<string, string>;
  /** Worker ids are `<idPrefix>-1`, `<idPrefix>-2`, …. Default `tasker-worker`. */
  idPrefix?: string;
  /** The worker events they forward are emitted here (the orchestrator's emitter). */
  events?: TaskEvents;
  /** Fork a worker again when it exits without being asked to (after 1 s, doubling up to 30 s). Default true. */
  restart?: boolean;
  /** How long `start()` waits for every worker to be ready. Default 60000 ms. */
  readyTimeoutMs?: number;
  /** Each line a worker prints (default: to this process's stdout and stderr). */
  output?: (line: string, stream: 'stdout' | 'stderr', workerId: string) => void;
}

/**
 * One worker process of the pool.
 *
 * @example
 * ```ts
 * import type { PooledWorker } from './worker-pool.js';
 * const describe = (worker: PooledWorker) => `${worker.id} (pid ${worker.pid})`;
 * ```
 */
export interface PooledWorker {
  /** Its worker id (in the registry). */
  readonly id: string;
  /** The process id of its current process, while it runs. */
  readonly pid: number | undefined;
  /** Whether it has said it is ready (registered and consuming). */
  readonly ready: boolean;
}

/**
 * Worker processes forked from the service (`worker-main.ts` under tsx), watched and restarted.
 *
 * @example
 * ```ts
 * import type { WorkerPool } from './worker-pool.js';
 * async function run(pool: WorkerPool) {
 *   await pool.start();
 *   await pool.stop();
 * }
 * ```
 */
export interface WorkerPool {
  /** The workers. */
  readonly workers: readonly PooledWorker[];
  /** Forks every worker and resolves when all are ready; rejects if one exits or is not ready in time. */
  start(): Promise<void>;
  /** Sends a signal to one worker's process (SIGKILL to simulate a crash). Returns whether it was sent. */
  kill(id: string, signal: NodeJS.Signals): boolean;
  /** SIGTERM to every worker, then waits for them to exit (they finish or hand back their tasks first). */
  stop(): Promise<void>;
}

interface Slot {
  id: string;
  child: ChildProcess | undefined;
  ready: boolean;
  exited: Promise<void>;
  backoffMs: number;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Creates a pool of worker processes. Each runs `worker-main.ts` with `--import tsx` and an IPC channel: it says
 * when it is ready and forwards its task events, which the pool emits on `events`. A worker that exits without
 * being asked to is forked again (unless `restart: false`); a worker whose service goes away stops by itself.
 *
 * @example
 * ```ts
 * import { createWorkerPool } from './worker-pool.js';
 * const pool = createWorkerPool({ count: 2, env: { SCANPLANE_DATABASE_URL: '…', SCANPLANE_AMQP_URL: '…' } });
 * await pool.start();
 * ```
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  if (!Number.isInteger(options.count) || options.count < 0 || options.count > 64) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `the worker count must be an integer from 0 to 64, got ${options.count}`,
      {
        details: { count: options.count },
      },
    );
  }
  const idPrefix = options.idPrefix ?? 'tasker-worker';
  const restart = options.restart ?? true;
  const output =
    options.output ??
    ((line: string, stream: 'stdout' | 'stderr') =>
      (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`));
  let stopping = false;
  const slots: Slot[] = Array.from({ length: options.count }, (_, i) => ({
    id: `${idPrefix}-${i + 1}`,
    child: undefined,
    ready: false,
    exited: Promise.resolve(),
    backoffMs: 1000,
    restartTimer: undefined,
  }));
  const readyWaiters = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();

  const spawnSlot = (slot: Slot): void => {
    const child = fork(WORKER_SCRIPT, [], {
      cwd: EXAMPLE_DIR,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...options.env, SCANPLANE_WORKER_ID: slot.id },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      // Its own process group: a Ctrl-C at the terminal reaches the service only, which then stops the workers
      // once, gracefully (a worker that got the terminal's SIGINT too would take the pool's SIGTERM as a second
      // signal and exit at once). A worker whose service dies stops through its closed IPC channel.
      detached: true,
    });
    slot.child = child;
    slot.ready = false;
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (readable !== null)
        createInterface({ input: readable }).on('line', (line) => output(line, stream, slot.id));
    }
    child.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.type === 'tasker:ready') {
        slot.ready = true;
        slot.backoffMs = 1000;
        readyWaiters.get(slot.id)?.resolve();
      } else if (options.events !== undefined) {
        replayWorkerEvent(options.events, message);
      }
    });
    slot.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        slot.child = undefined;
        slot.ready = false;
        readyWaiters
          .get(slot.id)
          ?.reject(
            new ScanplaneError(
              'UNAVAILABLE',
              `worker ${slot.id} exited (${signal ?? `code ${code}`}) before it was ready`,
            ),
          );
        if (!stopping && restart) {
          output(
            `worker ${slot.id} exited (${signal ?? `code ${code}`}); starting it again in ${slot.backoffMs} ms`,
            'stderr',
            slot.id,
          );
          slot.restartTimer = setTimeout(() => {
            slot.restartTimer = undefined;
            if (!stopping) spawnSlot(slot);
          }, slot.backoffMs);
          slot.backoffMs = Math.min(30_000, slot.backoffMs * 2);
        }
        resolve();
      });
    });
  };

  const whenReady = (slot: Slot, timeoutMs: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        readyWaiters.delete(slot.id);
        reject(new ScanplaneError('TIMEOUT', `worker ${slot.id} was not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      readyWaiters.set(slot.id, {
        resolve: () => {
          clearTimeout(timer);
          readyWaiters.delete(slot.id);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          readyWaiters.delete(slot.id);
          reject(error);
        },
      });
    });

  return {
    workers: slots.map((slot) => ({
      get id() {
        return slot.id;
      },
      get pid() {
        return slot.child?.pid;
      },
      get ready() {
        return slot.ready;
      },
    })),

    async start() {
      stopping = false;
      const timeoutMs = options.readyTimeoutMs ?? 60_000;
      const ready = slots.map((slot) => {
        const waiting = whenReady(slot, timeoutMs);
        spawnSlot(slot);
        return waiting;
      });
      await Promise.all(ready);
    },

    kill(id, signal) {
      const slot = slots.find((candidate) => candidate.id === id);
      return slot?.child?.kill(signal) ?? false;
    },

    async stop() {
      stopping = true;
      for (const slot of slots) {
        if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
        slot.child?.kill('SIGTERM');
      }
      await Promise.all(slots.map((slot) => slot.exited));
    },
  };
}
