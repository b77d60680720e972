import type { Orchestrator, ScanTask } from '@scanplane/core';

// Worker processes run their own lifecycle, so their transitions (started, finished, failed, retried) are emitted
// in their process. They send them to the service over the IPC channel `fork` opens, and the service emits them on
// its orchestrator's emitter: what in-process workers get by sharing the emitter (`createWorker({ events })`).

/** The typed emitter of the orchestrator and the workers (eventemitter3's, typed by `ScanplaneEvents`). */
export type TaskEvents = Orchestrator['events'];

/** The worker events forwarded to the service. */
export const FORWARDED_EVENTS = ['task:started', 'task:finished', 'task:failed', 'task:retry'] as const;

/** One of {@link FORWARDED_EVENTS}. */
export type ForwardedEvent = (typeof FORWARDED_EVENTS)[number];

/**
 * A message from a worker process to the service: a task event, or "ready" once it consumes.
 *
 * @example
 * ```ts
 * import type { WorkerMessage } from './worker-events.js';
 * const ready: WorkerMessage = { type: 'tasker:ready', workerId: 'tasker-worker-1' };
 * ```
 */
export type WorkerMessage =
  | {
      /** A task event. */
      type: 'tasker:event';
      /** Which. */
      event: ForwardedEvent;
      /** The task, as the worker recorded it. */
      task: ScanTask;
    }
  | {
      /** The worker registered and consumes. */
      type: 'tasker:ready';
      /** Its id. */
      workerId: string;
    };

/**
 * In a worker process: sends the forwarded events of `events` with `send` (`process.send`); returns a function that
 * stops forwarding.
 *
 * @example
 * ```ts
 * import { forwardWorkerEvents } from './worker-events.js';
 * declare const events: import('./worker-events.js').TaskEvents;
 * const stop = forwardWorkerEvents(events, (message) => process.send?.(message));
 * ```
 */
export function forwardWorkerEvents(events: TaskEvents, send: (message: WorkerMessage) => void): () => void {
  const listeners = FORWARDED_EVENTS.map((event) => {
    const listener = (task: ScanTask): void => send({ type: 'tasker:event', event, task });
    events.on(event, listener);
    return () => events.off(event, listener);
  });
  return () => {
    for (const off of listeners) off();
  };
}

/**
 * Whether a value received over IPC is a {@link WorkerMessage}.
 *
 * @example
 * ```ts
 * import { isWorkerMessage } from './worker-events.js';
 * isWorkerMessage({ type: 'tasker:ready', workerId: 'w1' }); // true
 * ```
 */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  if (message['type'] === 'tasker:ready') return typeof message['workerId'] === 'string';
  return (
    message['type'] === 'tasker:event' &&
    (FORWARDED_EVENTS as readonly unknown[]).includes(message['event']) &&
    typeof message['task'] === 'object' &&
    message['task'] !== null
  );
}

/**
 * In the service: emits a forwarded event on the orchestrator's emitter.
 *
 * @example
 * ```ts
 * import { replayWorkerEvent } from './worker-events.js';
 * declare const events: import('./worker-events.js').TaskEvents;
 * declare const task: import('@scanplane/core').ScanTask;
 * replayWorkerEvent(events, { type: 'tasker:event', event: 'task:finished', task });
 * ```
 */
export function replayWorkerEvent(
  events: TaskEvents,
  message: Extract<WorkerMessage, { type: 'tasker:event' }>,
): void {
  events.emit(message.event, message.task);
}
