import type { TaskContext } from './task-handler.js';

/**
 * The {@link TaskContext} a worker or launcher hands to one run of a handler. Its `signal` is made on first use:
 * on Node 20 an `AbortSignal` costs about 1.5 µs and 1 KB to create, which a handler that never looks at it (or a
 * scan too short to interrupt) should not pay for every task. Aborting a run whose handler never asked for the
 * signal still makes one, already aborted, for any later reader.
 *
 * @internal
 */
export class RunContext implements TaskContext {
  readonly log: (line: string) => void;
  #controller: AbortController | undefined;
  #aborted = false;

  constructor(log: (line: string) => void) {
    this.log = log;
  }

  /** The run's signal (made now if this is the first use). */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** Whether the run was aborted, without making a signal. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborts the run once (later calls do nothing). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller ??= new AbortController();
    this.#controller.abort(reason);
  }
}
