import { EventEmitter } from 'eventemitter3';
import { type Clock, systemClock } from '../clock/clock.js';
import type { HealthReport } from '../ports/health.js';
import type {
  CancelNotice,
  QueueCapabilities,
  QueueConsumer,
  QueueDelivery,
  QueueMessage,
  TaskQueue,
} from '../ports/task-queue.js';
import { Fifo } from './fifo.js';

/**
 * Options for {@link createMemoryQueue}.
 *
 * @example
 * ```ts
 * import { createManualClock, createMemoryQueue, type MemoryQueueOptions } from '@scanplane/core';
 * const options: MemoryQueueOptions = { deliveryLimit: 3, clock: createManualClock(0) };
 * ```
 */
export interface MemoryQueueOptions {
  /** Deliveries after which a message is dead-lettered instead of requeued. Default 5; 0 for no limit. */
  deliveryLimit?: number;
  /** The clock for delayed delivery. Default the system clock. */
  clock?: Clock;
}

/**
 * A dead-lettered message and why.
 *
 * @example
 * ```ts
 * import type { DeadLetter } from '@scanplane/core';
 * const dead: DeadLetter = { message: { taskId: 't1', project: 'acme', kind: 'x', priority: 1 }, deliveryCount: 5, reason: 'delivery limit' };
 * ```
 */
export interface DeadLetter {
  /** The message, as last delivered. */
  message: QueueMessage;
  /** Deliveries made before it was dead-lettered. */
  deliveryCount: number;
  /** The nack's reason; without one, `rejected` (`requeue: false`) or `delivery limit of <n> reached`. */
  reason: string;
}

/**
 * The in-memory queue: the embedded default. Priorities (higher first, then first in first out), delayed delivery,
 * per-consumer prefetch, explicit ack, redelivery of what a closed consumer left unacknowledged, a delivery limit
 * with a dead-letter list, purge by project and a cancel broadcast — the semantics `@scanplane/rabbitmq` provides
 * across processes.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * const queue = createMemoryQueue({ deliveryLimit: 3 });
 * queue.deadLetters(); // []
 * ```
 */
export type MemoryQueue = TaskQueue & {
  /** Messages dead-lettered so far. */
  deadLetters(): DeadLetter[];
};

interface Entry {
  message: QueueMessage;
  deliveryCount: number;
  sequence: number;
}

type NackOptions = NonNullable<Parameters<QueueDelivery['nack']>[0]>;

interface ConsumerState {
  handler: (delivery: QueueDelivery) => Promise<void>;
  prefetch: number;
  kinds: readonly string[] | undefined;
  inFlight: Set<Entry>;
  closed: boolean;
}

/**
 * Creates a {@link MemoryQueue}.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * const queue = createMemoryQueue();
 * await queue.publish([{ taskId: 't1', project: 'acme', kind: 'tcp-connect', priority: 1 }]);
 * await queue.depth(); // 1
 * ```
 */
export function createMemoryQueue(options: MemoryQueueOptions = {}): MemoryQueue {
  const clock = options.clock ?? systemClock;
  const deliveryLimit = options.deliveryLimit ?? 5;
  const capabilities: QueueCapabilities = { priorities: true, delayedDelivery: true, deliveryLimit };
  // Ready messages by priority (descending), each a FIFO; delayed messages wait for their time.
  const ready = new Map<number, Fifo<Entry>>();
  let priorities: number[] = [];
  let readyCount = 0;
  const delayed: Entry[] = [];
  const consumers: ConsumerState[] = [];
  const dead: DeadLetter[] = [];
  const cancels = new EventEmitter<{ cancel: [CancelNotice] }>();
  let sequence = 0;
  let closed = false;
  let cursor = 0;
  let dispatching = false;
  let timer: AbortController | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  const pushReady = (entry: Entry, front = false): void => {
    const priority = entry.message.priority;
    let list = ready.get(priority);
    if (list === undefined) {
      list = new Fifo();
      ready.set(priority, list);
      priorities = [...ready.keys()].sort((a, b) => b - a);
    }
    if (front) list.unshift(entry);
    else list.push(entry);
    readyCount++;
  };

  const enqueue = (entry: Entry, front = false): void => {
    if ((entry.message.notBefore ?? 0) > clock.now()) {
      delayed.push(entry);
      armTimer();
    } else {
      pushReady(entry, front);
    }
  };

  const promoteDue = (): void => {
    const now = clock.now();
    for (let i = delayed.length - 1; i >= 0; i--) {
      const entry = delayed[i] as Entry;
      if ((entry.message.notBefore ?? 0) <= now) {
        delayed.splice(i, 1);
        pushReady(entry);
      }
    }
  };

  const armTimer = (): void => {
    if (closed || delayed.length === 0) return;
    const next = Math.min(...delayed.map((entry) => entry.message.notBefore ?? 0));
    if (timer !== undefined && next >= timerAt) return;
    timer?.abort();
    const controller = new AbortController();
    timer = controller;
    timerAt = next;
    void clock.sleep(next - clock.now(), controller.signal).then((fired) => {
      if (!fired) return;
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      promoteDue();
      armTimer();
      dispatch();
    });
  };

  /** Takes the best ready message a consumer accepts. */
  const take = (kinds: readonly string[] | undefined): Entry | undefined => {
    for (const priority of priorities) {
      const list = ready.get(priority) as Fifo<Entry>;
      const entry =
        kinds === undefined ? list.shift() : list.removeFirst((e) => kinds.includes(e.message.kind));
      if (entry === undefined) continue;
      readyCount--;
      if (list.length === 0) {
        ready.delete(priority);
        priorities = priorities.filter((p) => p !== priority);
      }
      return entry;
    }
    return undefined;
  };

  const nackEntry = (entry: Entry, nackOptions: NackOptions): void => {
    const requeue = nackOptions.requeue ?? true;
    if (!requeue || (deliveryLimit > 0 && entry.deliveryCount >= deliveryLimit)) {
      dead.push({
        message: entry.message,
        deliveryCount: entry.deliveryCount,
        reason: nackOptions.reason ?? (requeue ? `delivery limit of ${deliveryLimit} reached` : 'rejected'),
      });
    } else {
      const delay = nackOptions.delayMs ?? 0;
      enqueue(
        delay > 0 ? { ...entry, message: { ...entry.message, notBefore: clock.now() + delay } } : entry,
        delay === 0,
      );
    }
    queueMicrotask(dispatch);
  };

  // One object per delivery, its methods on the prototype (no closures per message).
  class Delivery implements QueueDelivery {
    readonly message: QueueMessage;
    readonly deliveryCount: number;
    #consumer: ConsumerState;
    #entry: Entry;
    #settled = false;

    constructor(consumer: ConsumerState, entry: Entry) {
      this.message = entry.message;
      this.deliveryCount = entry.deliveryCount;
      this.#consumer = consumer;
      this.#entry = entry;
    }

    /** True for the first settlement of a delivery its consumer still holds (not closed meanwhile). */
    #settle(): boolean {
      if (this.#settled || !this.#consumer.inFlight.has(this.#entry)) return false;
      this.#settled = true;
      this.#consumer.inFlight.delete(this.#entry);
      return true;
    }

    async ack(): Promise<void> {
      if (this.#settle()) queueMicrotask(dispatch);
    }

    async nack(nackOptions: NackOptions = {}): Promise<void> {
      if (this.#settle()) nackEntry(this.#entry, nackOptions);
    }
  }

  const deliver = (consumer: ConsumerState, entry: Entry): void => {
    entry.deliveryCount++;
    consumer.inFlight.add(entry);
    const delivery = new Delivery(consumer, entry);
    void consumer.handler(delivery).catch(() => {
      // A throwing handler leaves the delivery unsettled; put it back as a failed delivery.
      void delivery.nack({ reason: 'consumer handler threw' });
    });
  };

  function dispatch(): void {
    if (dispatching || closed) return;
    dispatching = true;
    try {
      promoteDue();
      let progress = true;
      while (progress && readyCount > 0) {
        progress = false;
        for (let i = 0; i < consumers.length && readyCount > 0; i++) {
          const consumer = consumers[(cursor + i) % consumers.length] as ConsumerState;
          if (consumer.closed || consumer.inFlight.size >= consumer.prefetch) continue;
          const entry = take(consumer.kinds);
          if (entry === undefined) continue;
          deliver(consumer, entry);
          progress = true;
        }
        cursor = consumers.length === 0 ? 0 : (cursor + 1) % consumers.length;
      }
    } finally {
      dispatching = false;
    }
  }

  return {
    name: 'memory',
    capabilities,

    async publish(messages) {
      if (closed) throw closedError();
      for (const message of messages)
        enqueue({ message: { ...message }, deliveryCount: 0, sequence: sequence++ });
      queueMicrotask(dispatch);
    },

    async consume(handler, consumeOptions) {
      if (closed) throw closedError();
      const state: ConsumerState = {
        handler,
        prefetch: Math.max(1, consumeOptions.prefetch),
        kinds: consumeOptions.kinds,
        inFlight: new Set(),
        closed: false,
      };
      consumers.push(state);
      const consumer: QueueConsumer = {
        async close() {
          if (state.closed) return;
          state.closed = true;
          consumers.splice(consumers.indexOf(state), 1);
          // Unacknowledged deliveries go back to the front of the queue, to be delivered again.
          for (const entry of [...state.inFlight].reverse()) enqueue(entry, true);
          state.inFlight.clear();
          queueMicrotask(dispatch);
        },
      };
      consumeOptions.signal?.addEventListener('abort', () => void consumer.close(), { once: true });
      queueMicrotask(dispatch);
      return consumer;
    },

    async purge(project) {
      let removed = 0;
      for (const [priority, list] of ready) {
        const gone = list.retain((entry) => entry.message.project !== project);
        removed += gone;
        readyCount -= gone;
        if (list.length === 0) ready.delete(priority);
      }
      priorities = [...ready.keys()].sort((a, b) => b - a);
      for (let i = delayed.length - 1; i >= 0; i--) {
        if ((delayed[i] as Entry).message.project === project) {
          delayed.splice(i, 1);
          removed++;
        }
      }
      return removed;
    },

    async depth(kind) {
      let total = 0;
      for (const list of ready.values())
        for (const entry of list) if (kind === undefined || entry.message.kind === kind) total++;
      for (const entry of delayed) if (kind === undefined || entry.message.kind === kind) total++;
      return total;
    },

    async broadcastCancel(notice) {
      cancels.emit('cancel', { taskIds: [...notice.taskIds], reason: notice.reason });
    },

    onCancel(listener) {
      cancels.on('cancel', listener);
      return () => {
        cancels.off('cancel', listener);
      };
    },

    deadLetters: () => dead.map((letter) => ({ ...letter })),

    async health(): Promise<HealthReport> {
      return {
        ok: !closed,
        component: 'queue',
        detail: closed
          ? 'memory queue is closed'
          : `memory: ${readyCount + delayed.length} waiting, ${consumers.length} consumers`,
        latencyMs: 0,
      };
    },

    async close() {
      closed = true;
      timer?.abort();
      for (const consumer of [...consumers]) consumer.closed = true;
      consumers.length = 0;
      cancels.removeAllListeners();
    },
  };
}

function closedError(): Error {
  return new Error('[scanplane] [memory-queue] the queue is closed');
}
