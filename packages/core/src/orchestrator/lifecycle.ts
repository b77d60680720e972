import type { EventEmitter } from 'eventemitter3';
import type { Clock } from '../clock/clock.js';
import { isScanplaneError } from '../errors/scanplane-error.js';
import type { Ledger } from '../ports/ledger.js';
import type { TaskStore } from '../ports/task-store.js';
import { decidePlatformEvent, type PlatformEvent } from '../tasks/platform-event.js';
import type { ScanTask, TaskError, TaskStatus } from '../tasks/task.js';
import { failureTransition, type RetryPolicy, type TransitionRequest } from '../tasks/transitions.js';
import type { ScanplaneEvents } from './events.js';

/**
 * What became of a platform event or a completion: applied (with the new record), or ignored and why.
 *
 * @example
 * ```ts
 * import type { LifecycleOutcome } from '@scanplane/core';
 * function wasApplied(outcome: LifecycleOutcome): boolean {
 *   return outcome.outcome === 'applied';
 * }
 * ```
 */
export type LifecycleOutcome =
  | {
      /** The task changed. */
      outcome: 'applied';
      /** The task's new record. */
      task: ScanTask;
    }
  | {
      /** Nothing changed. */
      outcome: 'duplicate' | 'stale' | 'missing';
      /** Why, for logs (`missing`: there is no such task). */
      reason: string;
    };

/**
 * The one place where task transitions are committed: it applies them through the store (guarded, versioned),
 * emits the events, records scanned coverage when a target task finishes, turns failures into retries or final
 * failures by the retry policy, and applies platform events with optimistic concurrency (re-reading and deciding
 * again when another writer got there first). The orchestrator, the workers and the scheduler share it.
 * @internal
 */
export class TaskLifecycle {
  readonly store: TaskStore;
  readonly ledger: Ledger | undefined;
  readonly clock: Clock;
  readonly events: EventEmitter<ScanplaneEvents>;
  readonly retryPolicy: RetryPolicy | undefined;
  readonly random: () => number;

  constructor(options: {
    store: TaskStore;
    ledger?: Ledger;
    clock: Clock;
    events: EventEmitter<ScanplaneEvents>;
    retryPolicy?: RetryPolicy;
    random?: () => number;
  }) {
    this.store = options.store;
    this.ledger = options.ledger;
    this.clock = options.clock;
    this.events = options.events;
    this.retryPolicy = options.retryPolicy;
    this.random = options.random ?? Math.random;
  }

  /** Emits the events of a change. */
  announce(task: ScanTask, retry = false): void {
    const transition = task.history[task.history.length - 1];
    if (transition !== undefined) this.events.emit('task:transition', task, transition);
    this.events.emit(`task:${task.status}`, task);
    if (retry) this.events.emit('task:retry', task);
  }

  /** Emits the events of a creation: `task:created` always, and the status event when born in another status. */
  announceCreated(task: ScanTask): void {
    const transition = task.history[task.history.length - 1];
    if (transition !== undefined) this.events.emit('task:transition', task, transition);
    this.events.emit('task:created', task);
    if (task.status !== 'created') this.events.emit(`task:${task.status}`, task);
  }

  /** Commits a transition and announces it. */
  async transition(id: string, request: TransitionRequest): Promise<ScanTask> {
    const task = await this.store.transition(id, request);
    this.announce(task, request.to === 'queued' && request.patch?.error !== undefined);
    if (task.status === 'finished' && this.ledger !== undefined && task.target !== undefined)
      await this.#recordScanned(this.ledger, task, task.target);
    return task;
  }

  /** `started → finished` with a result. A task cancelled meanwhile stays cancelled (returns `stale`). */
  async finish(
    task: ScanTask,
    result: unknown,
    options: { reason?: string; owner?: TransitionRequest['owner'] } = {},
  ): Promise<LifecycleOutcome> {
    const request: TransitionRequest = {
      to: 'finished',
      from: FINISH_FROM,
      at: this.clock.now(),
      reason: options.reason ?? 'finished',
    };
    if (options.owner !== undefined) request.owner = options.owner;
    if (result !== undefined) request.patch = { result };
    // The hot path of every task, so written out (not through #guarded and transition): a closure and two
    // promises less per task count there.
    let next: ScanTask;
    try {
      next = await this.store.transition(task.id, request);
    } catch (error) {
      if (result !== undefined && isScanplaneError(error) && error.code === 'INVALID_ARGUMENT')
        return this.#resultRefused(task.id, request, error.message);
      return staleOr(error);
    }
    this.announce(next);
    if (this.ledger !== undefined && next.target !== undefined)
      await this.#recordScanned(this.ledger, next, next.target);
    return { outcome: 'applied', task: next };
  }

  /**
   * The store refused a result (not JSON, or too large): the attempt fails with `RESULT_INVALID` instead, so the
   * task never stays `started` with an outcome nobody can record.
   */
  async #resultRefused(taskId: string, request: TransitionRequest, why: string): Promise<LifecycleOutcome> {
    const current = await this.store.get(taskId);
    if (current === undefined) return { outcome: 'missing', reason: `no task ${taskId}` };
    const failure = failureTransition(
      current,
      { code: 'RESULT_INVALID', message: `the result was refused: ${why}` },
      this.clock.now(),
      { ...(this.retryPolicy === undefined ? {} : { policy: this.retryPolicy }), random: this.random },
    );
    if (request.owner !== undefined) failure.owner = request.owner;
    if (request.from !== undefined) failure.from = request.from;
    return this.#guarded(() => this.transition(taskId, failure));
  }

  /** A failed attempt: back to `queued` with backoff when retryable with attempts left, else `failed`. */
  async fail(
    task: ScanTask,
    error: TaskError,
    options: { reason?: string; owner?: TransitionRequest['owner'] } = {},
  ): Promise<LifecycleOutcome> {
    const request = failureTransition(task, error, this.clock.now(), {
      ...(this.retryPolicy === undefined ? {} : { policy: this.retryPolicy }),
      random: this.random,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    });
    if (options.owner !== undefined) request.owner = options.owner;
    return this.#guarded(() => this.transition(task.id, request));
  }

  /**
   * A launch of a queued task failed. The launch was an attempt, so it is counted (`queued → requested`) and failed
   * like any attempt: back to `queued` with a backoff while attempts remain and the error is retryable, else
   * `failed`. (A queued task cannot fail back into `queued` directly: without this, a retryable launch failure went
   * unrecorded and the task was launched again at once, forever.)
   */
  async launchFailed(task: ScanTask, error: TaskError, reason: string): Promise<LifecycleOutcome> {
    let requested: ScanTask;
    try {
      requested = await this.transition(task.id, {
        to: 'requested',
        from: ['queued'],
        at: this.clock.now(),
        reason: 'launch requested',
        expectedVersion: task.version,
      });
    } catch (failure) {
      return staleOr(failure);
    }
    return this.fail(requested, error, { reason });
  }

  /** Applies a platform event: duplicates and stale events are ignored (and announced as such), never applied. */
  async applyPlatformEvent(taskId: string, event: PlatformEvent): Promise<LifecycleOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const task = await this.store.get(taskId);
      if (task === undefined) return { outcome: 'missing', reason: `no task ${taskId}` };
      const decision = decidePlatformEvent(task, event, {
        ...(this.retryPolicy === undefined ? {} : { policy: this.retryPolicy }),
        random: this.random,
      });
      if (decision.outcome !== 'apply') {
        this.events.emit('task:event-ignored', taskId, event, decision.outcome, decision.reason);
        return decision;
      }
      try {
        return { outcome: 'applied', task: await this.transition(taskId, decision.request) };
      } catch (error) {
        // Another writer changed the task between our read and write: read again and decide again.
        if (isScanplaneError(error) && (error.code === 'CONFLICT' || error.code === 'INVALID_TRANSITION'))
          continue;
        if (
          isScanplaneError(error) &&
          error.code === 'INVALID_ARGUMENT' &&
          decision.request.patch?.result !== undefined
        )
          return this.#resultRefused(taskId, decision.request, error.message);
        throw error;
      }
    }
    const reason = `task ${taskId} kept changing; event ${event.type} not applied`;
    this.events.emit('task:event-ignored', taskId, event, 'stale', reason);
    return { outcome: 'stale', reason };
  }

  async #guarded(change: () => Promise<ScanTask>): Promise<LifecycleOutcome> {
    try {
      return { outcome: 'applied', task: await change() };
    } catch (error) {
      return staleOr(error);
    }
  }

  #recordScanned(ledger: Ledger, task: ScanTask, target: NonNullable<ScanTask['target']>): Promise<void> {
    return ledger.recordScanned(task.project, {
      addresses: target.addresses,
      ports: target.ports,
      at: task.finishedAt ?? this.clock.now(),
      taskId: task.id,
    });
  }
}

const FINISH_FROM: readonly TaskStatus[] = Object.freeze(['started', 'requested']);

/** A change that lost a race (the task moved meanwhile) is `stale`; anything else is rethrown. */
function staleOr(error: unknown): LifecycleOutcome {
  if (isScanplaneError(error) && (error.code === 'CONFLICT' || error.code === 'INVALID_TRANSITION')) {
    return { outcome: 'stale', reason: error.message };
  }
  throw error;
}
