import {
  commandOptionsFor,
  type EntrypointHandler,
  ScanplaneError,
  type TaskContext,
  type TaskHandler,
} from '@scanplane/core';

/**
 * Options of {@link entrypointTaskHandler}.
 *
 * @example
 * ```ts
 * import type { EntrypointTaskHandlerOptions } from '@scanplane/docker';
 * const options: EntrypointTaskHandlerOptions = { log: (taskId, line) => console.log(`${taskId} ${line}`) };
 * ```
 */
export interface EntrypointTaskHandlerOptions {
  /** Receives each line a handler logs, with its task id. Default: the worker's own task log. */
  log?: (taskId: string, line: string) => void;
}

/**
 * Turns container entrypoint handlers (by kind, as `runEntrypoint` takes them) into one pull-mode `TaskHandler`
 * for `createWorker`: each task runs the handler of its kind with the command options a container would get
 * (`commandOptionsFor(task)`: target, scan, organizations, chunk, arguments) and the worker's abort signal. A kind
 * without a handler fails the task with `INVALID_COMMAND`. The same handlers thus serve push mode (a container per
 * task) and pull mode (long-lived workers); the worker image's pull worker runs `workerHandlers()` this way.
 *
 * @example
 * ```ts
 * import { createWorker } from '@scanplane/core';
 * import { entrypointTaskHandler, workerHandlers } from '@scanplane/docker';
 * declare const store: import('@scanplane/core').MemoryStore;
 * declare const queue: import('@scanplane/core').TaskQueue;
 * const worker = createWorker({
 *   store, ledger: store, registry: store, queue, kinds: ['tcp-connect'],
 *   handler: entrypointTaskHandler(workerHandlers()),
 * });
 * await worker.start();
 * ```
 */
export function entrypointTaskHandler(
  handlers: Readonly<Record<string, EntrypointHandler>>,
  options: EntrypointTaskHandlerOptions = {},
): TaskHandler {
  return async (task, context) => {
    const handler = Object.hasOwn(handlers, task.kind) ? handlers[task.kind] : undefined;
    if (handler === undefined) {
      throw new ScanplaneError(
        'INVALID_COMMAND',
        `no handler runs kind ${JSON.stringify(task.kind)} (this worker runs ${Object.keys(handlers).join(', ')})`,
        { details: { kind: task.kind, taskId: task.id } },
      );
    }
    const log = options.log;
    const handlerContext: TaskContext =
      log === undefined
        ? context
        : {
            // The worker makes the signal on first use: only a handler that looks at it pays for it.
            get signal() {
              return context.signal;
            },
            log: (line: string) => log(task.id, line),
          };
    return handler(commandOptionsFor(task), handlerContext);
  };
}
