import {
  COMMAND_OPTIONS_VARIABLE,
  type CommandOptions,
  commandOptionsFor,
  parseCommandOptions,
  ScanplaneError,
  type TaskStore,
} from '@scanplane/core';
import { COMPONENT } from './fargate-errors.js';
import { TASK_ID_VARIABLE } from './run-task-input.js';

/**
 * The worker side of the payload modes: the command options from `SCANPLANE_COMMAND_OPTIONS` when the launcher sent
 * them inline, else (reference mode) the task named by `SCANPLANE_TASK_ID`, read from the store. Put the result in
 * the environment and call `runEntrypoint`, or pass it to the handler yourself.
 *
 * @throws `ScanplaneError` `INVALID_COMMAND` when neither variable is set, `NOT_FOUND` when the store has no such task.
 * @example
 * ```ts
 * import { COMMAND_OPTIONS_VARIABLE, runEntrypoint } from '@scanplane/core';
 * import { readCommandOptions } from '@scanplane/fargate';
 * declare const store: import('@scanplane/core').TaskStore; // the deployment's PostgreSQL store
 * const options = await readCommandOptions({ store });
 * process.exitCode = await runEntrypoint({
 *   handlers: { portscan: async () => ({ ok: true }) },
 *   env: { ...process.env, [COMMAND_OPTIONS_VARIABLE]: JSON.stringify(options) },
 * });
 * ```
 */
export async function readCommandOptions(input: {
  /** Reads the task in reference mode. */
  store: Pick<TaskStore, 'get'>;
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
}): Promise<CommandOptions> {
  const env = input.env ?? process.env;
  const inline = env[COMMAND_OPTIONS_VARIABLE];
  if (inline !== undefined && inline !== '') return parseCommandOptions(inline);
  const taskId = env[TASK_ID_VARIABLE];
  if (taskId === undefined || taskId === '') {
    throw new ScanplaneError(
      'INVALID_COMMAND',
      `neither ${COMMAND_OPTIONS_VARIABLE} nor ${TASK_ID_VARIABLE} is set: the container needs its command options`,
      { component: COMPONENT },
    );
  }
  const task = await input.store.get(taskId);
  if (task === undefined) {
    throw new ScanplaneError('NOT_FOUND', `task ${taskId} (from ${TASK_ID_VARIABLE}) is not in the store`, {
      component: COMPONENT,
      details: { taskId },
    });
  }
  return commandOptionsFor(task);
}
