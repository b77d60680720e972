import { createTcpConnectScanner, ScanplaneError, type TaskHandler } from '@scanplane/core';

/**
 * Settings of the handlers a worker runs.
 *
 * @example
 * ```ts
 * import type { HandlerSettings } from './task-handlers.js';
 * const settings: HandlerSettings = { tcpTimeoutMs: 500, nmapBinary: '/usr/bin/nmap' };
 * ```
 */
export interface HandlerSettings {
  /** TCP connect scanner: time to wait for one connection, in milliseconds. Default the scanner's (1000). */
  tcpTimeoutMs?: number;
  /** TCP connect scanner: connections in flight per task. Default the scanner's (256). */
  tcpConcurrency?: number;
  /** The nmap binary. Default `nmap` on the PATH. */
  nmapBinary?: string;
}

/** Makes the handler of one kind; loaded only by workers that run that kind. */
export type HandlerLoader = (settings: HandlerSettings) => Promise<TaskHandler>;

/**
 * The handler of each kind a worker may run: `tcp-connect`, the core's TCP connect scanner, and `nmap`, Tasker's
 * two-phase nmap scan (`./nmap/nmap-handler.js`), imported only when a worker runs nmap tasks.
 *
 * @example
 * ```ts
 * import { HANDLER_LOADERS } from './task-handlers.js';
 * Object.keys(HANDLER_LOADERS); // ['tcp-connect', 'nmap']
 * ```
 */
export const HANDLER_LOADERS: Readonly<Record<string, HandlerLoader>> = Object.freeze({
  'tcp-connect': async (settings: HandlerSettings) =>
    createTcpConnectScanner({
      ...(settings.tcpTimeoutMs === undefined ? {} : { timeoutMs: settings.tcpTimeoutMs }),
      ...(settings.tcpConcurrency === undefined ? {} : { concurrency: settings.tcpConcurrency }),
    }),
  nmap: async (settings: HandlerSettings) => {
    const { createNmapHandler } = await import('./nmap/nmap-handler.js');
    return createNmapHandler(settings.nmapBinary === undefined ? {} : { binary: settings.nmapBinary });
  },
});

/**
 * Loads the handlers of `kinds` and returns one handler that runs each task with its kind's handler (a kind not
 * loaded fails the task with `INVALID_COMMAND`).
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` for a kind without a loader, or `UNAVAILABLE` when a handler cannot be
 *   loaded (saying which).
 * @example
 * ```ts
 * import { loadTaskHandler } from './task-handlers.js';
 * const handler = await loadTaskHandler(['tcp-connect'], { tcpTimeoutMs: 500 });
 * ```
 */
export async function loadTaskHandler(
  kinds: readonly string[],
  settings: HandlerSettings = {},
): Promise<TaskHandler> {
  const handlers = new Map<string, TaskHandler>();
  for (const kind of kinds) {
    const loader = Object.hasOwn(HANDLER_LOADERS, kind) ? HANDLER_LOADERS[kind] : undefined;
    if (loader === undefined) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `no handler for kind ${JSON.stringify(kind)}; this worker can run ${Object.keys(HANDLER_LOADERS).join(', ')}`,
        { details: { kind } },
      );
    }
    try {
      handlers.set(kind, await loader(settings));
    } catch (error) {
      throw new ScanplaneError(
        'UNAVAILABLE',
        `the ${kind} handler could not be loaded: ${(error as Error).message}`,
        {
          cause: error,
          details: { kind },
        },
      );
    }
  }
  return async (task, context) => {
    const handler = handlers.get(task.kind);
    if (handler === undefined) {
      throw new ScanplaneError(
        'INVALID_COMMAND',
        `this worker runs ${[...handlers.keys()].join(', ')}, not ${JSON.stringify(task.kind)}`,
        { details: { taskId: task.id, kind: task.kind } },
      );
    }
    return handler(task, context);
  };
}
