import { isScanplaneError, ScanplaneError } from '../errors/scanplane-error.js';
import type { ScanTask, TaskTarget } from '../tasks/task.js';
import { toTaskError } from './handler-error.js';
import type { TaskContext } from './task-handler.js';

/**
 * The environment variable that carries a container's command options (Crossfeed's `CROSSFEED_COMMAND_OPTIONS`).
 *
 * @example
 * ```ts
 * import { COMMAND_OPTIONS_VARIABLE } from '@scanplane/core';
 * process.env[COMMAND_OPTIONS_VARIABLE]; // '{"taskId":"…","kind":"tcp-connect",…}'
 * ```
 */
export const COMMAND_OPTIONS_VARIABLE = 'SCANPLANE_COMMAND_OPTIONS';

/**
 * Most chunks one scan may be split into (Crossfeed's cap).
 *
 * @example
 * ```ts
 * import { MAX_CHUNKS } from '@scanplane/core';
 * MAX_CHUNKS; // 100
 * ```
 */
export const MAX_CHUNKS = 100;

/**
 * Exit codes of {@link runEntrypoint}: `0` done, `1` the handler failed, `2` invalid command options or an unknown
 * kind, `75` a failure worth retrying (EX_TEMPFAIL), `130` aborted by a signal (SIGTERM, SIGINT).
 *
 * @example
 * ```ts
 * import { EXIT_CODES } from '@scanplane/core';
 * EXIT_CODES.retryable; // 75
 * ```
 */
export const EXIT_CODES = Object.freeze({
  /** `0`: the handler returned; its result was printed. */
  ok: 0,
  /** `1`: the handler failed and another attempt will not help. */
  failed: 1,
  /** `2`: the command options are invalid, or no handler runs their kind. */
  invalidCommand: 2,
  /** `75` (EX_TEMPFAIL): the handler failed and another attempt may succeed. */
  retryable: 75,
  /** `130`: the signal aborted the handler (SIGTERM, SIGINT). */
  aborted: 130,
});

/**
 * What a container worker is told to do: everything it needs, in one JSON value.
 *
 * @example
 * ```ts
 * import type { CommandOptions } from '@scanplane/core';
 * const options: CommandOptions = {
 *   taskId: 't1', kind: 'portscan', scanId: 's1', scanName: 'portscan',
 *   organizations: [{ id: 'o1', name: 'Acme' }], chunkNumber: 0, chunkCount: 4, arguments: { ports: '1-1024' },
 * };
 * ```
 */
export interface CommandOptions {
  /** The task this run is for. */
  taskId: string;
  /** Which handler runs it (the scan type). */
  kind: string;
  /** The task's project. */
  project?: string;
  /** The attempt this launch is. */
  attempt?: number;
  /** The scan definition, for scheduled work. */
  scanId?: string;
  /** The scan's name, for scheduled work. */
  scanName?: string;
  /** The organizations to scan, for scheduled work. */
  organizations?: Array<{
    /** The organization's id. */
    id: string;
    /** Its display name. */
    name: string;
    /** Its authorised scope: root domains and IP blocks. */
    scope?: {
      /** Domains it owns. */
      rootDomains?: string[];
      /** Address blocks it owns. */
      ipBlocks?: string[];
    };
  }>;
  /** Chunk `chunkNumber` (from 0) of `chunkCount` (at most 100). Both or neither. */
  chunkNumber?: number;
  /** How many chunks the scan is split into: 1 to {@link MAX_CHUNKS}. Both or neither. */
  chunkCount?: number;
  /** What to scan, for target tasks. */
  target?: TaskTarget;
  /** The scan's arguments (Crossfeed stored them and never passed them on; here they arrive). */
  arguments?: Record<string, unknown>;
  /** For a global active scan: passive organizations it must leave alone. */
  excludedOrganizations?: string[];
}

/**
 * The command options for a task: its id, kind and target, and for scheduled work the scan, organizations, chunk
 * and arguments carried in its payload.
 *
 * @example
 * ```ts
 * import { commandOptionsFor } from '@scanplane/core';
 * declare const task: import('@scanplane/core').ScanTask;
 * const json = JSON.stringify(commandOptionsFor(task));
 * ```
 */
export function commandOptionsFor(task: ScanTask): CommandOptions {
  const payload = (task.payload ?? {}) as Partial<CommandOptions>;
  const options: CommandOptions = {
    taskId: task.id,
    kind: task.kind,
    project: task.project,
    attempt: task.attempt,
  };
  if (task.scanId !== undefined) options.scanId = task.scanId;
  for (const key of [
    'scanName',
    'organizations',
    'chunkNumber',
    'chunkCount',
    'arguments',
    'excludedOrganizations',
  ] as const) {
    if (payload[key] !== undefined) (options as unknown as Record<string, unknown>)[key] = payload[key];
  }
  if (task.target !== undefined) options.target = task.target;
  return options;
}

/**
 * Parses and validates command options: a JSON object with a task id and a kind; organizations as `{id, name}`;
 * chunk number and count both given or both absent, integers, `0 ≤ chunkNumber < chunkCount ≤ 100`.
 *
 * @throws {@link ScanplaneError} `INVALID_COMMAND` saying what is wrong.
 * @example
 * ```ts
 * import { parseCommandOptions } from '@scanplane/core';
 * parseCommandOptions('{"taskId":"t1","kind":"tcp-connect"}').kind; // 'tcp-connect'
 * ```
 */
export function parseCommandOptions(text: string | undefined): CommandOptions {
  if (text === undefined || text.trim() === '') {
    throw invalid(`${COMMAND_OPTIONS_VARIABLE} is not set: the container needs its command options`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`${COMMAND_OPTIONS_VARIABLE} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('command options must be a JSON object');
  const options = value as Record<string, unknown>;
  for (const key of ['taskId', 'kind'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '')
      throw invalid(`command options need a non-empty string '${key}'`);
  }
  if (options.organizations !== undefined) {
    if (
      !Array.isArray(options.organizations) ||
      !options.organizations.every(
        (o) =>
          typeof o === 'object' &&
          o !== null &&
          typeof o.id === 'string' &&
          typeof o.name === 'string' &&
          (o.scope === undefined || isScope(o.scope)),
      )
    ) {
      throw invalid(
        "'organizations' must be an array of { id, name, scope? } (scope: rootDomains, ipBlocks lists)",
      );
    }
  }
  const hasNumber = options.chunkNumber !== undefined;
  const hasCount = options.chunkCount !== undefined;
  if (hasNumber !== hasCount)
    throw invalid("chunks not specified: give both 'chunkNumber' and 'chunkCount', or neither");
  if (hasNumber) {
    const number = options.chunkNumber;
    const count = options.chunkCount;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_CHUNKS) {
      throw invalid(`'chunkCount' must be an integer from 1 to ${MAX_CHUNKS}, got ${JSON.stringify(count)}`);
    }
    if (!Number.isInteger(number) || (number as number) < 0 || (number as number) >= (count as number)) {
      throw invalid(
        `invalid chunk number ${JSON.stringify(number)}: it must be an integer from 0 to ${(count as number) - 1}`,
      );
    }
  }
  if (
    options.arguments !== undefined &&
    (typeof options.arguments !== 'object' || options.arguments === null || Array.isArray(options.arguments))
  ) {
    throw invalid("'arguments' must be a JSON object");
  }
  if (
    options.excludedOrganizations !== undefined &&
    !(
      Array.isArray(options.excludedOrganizations) &&
      options.excludedOrganizations.every((id) => typeof id === 'string')
    )
  ) {
    throw invalid("'excludedOrganizations' must be an array of organization ids");
  }
  return options as unknown as CommandOptions;
}

function isScope(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const scope = value as Record<string, unknown>;
  return ['rootDomains', 'ipBlocks'].every(
    (key) =>
      scope[key] === undefined ||
      (Array.isArray(scope[key]) && (scope[key] as unknown[]).every((item) => typeof item === 'string')),
  );
}

function invalid(message: string): ScanplaneError {
  return new ScanplaneError('INVALID_COMMAND', message);
}

/**
 * A container worker's handler: receives the command options and the task context.
 *
 * @example
 * ```ts
 * import type { EntrypointHandler } from '@scanplane/core';
 * const portscan: EntrypointHandler = async (options, { log }) => {
 *   log(`scanning for ${options.organizations?.length ?? 0} organizations`);
 *   return { ok: true };
 * };
 * ```
 */
export type EntrypointHandler = (options: CommandOptions, context: TaskContext) => Promise<unknown>;

/**
 * Options for {@link runEntrypoint}.
 *
 * @example
 * ```ts
 * import type { EntrypointOptions } from '@scanplane/core';
 * const options: EntrypointOptions = { handlers: { test: async () => 'ok' }, env: { SCANPLANE_COMMAND_OPTIONS: '{"taskId":"t","kind":"test"}' } };
 * ```
 */
export interface EntrypointOptions {
  /** Handlers by kind. */
  handlers: Record<string, EntrypointHandler>;
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Receives the handler's log lines and the `SCANPLANE_RESULT` line. Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
  /** Receives the `SCANPLANE_ERROR` line. Default `process.stderr`. */
  stderr?: NodeJS.WritableStream;
  /** Aborts the handler (shutdown). */
  signal?: AbortSignal;
}

/**
 * Runs a container worker: reads and validates the command options from {@link COMMAND_OPTIONS_VARIABLE}, runs the
 * handler for their kind, prints the result as one `SCANPLANE_RESULT <json>` line on stdout (or the error as
 * `SCANPLANE_ERROR <json>` on stderr) and returns the exit code ({@link EXIT_CODES}). Never throws.
 *
 * @example
 * ```ts
 * import { runEntrypoint } from '@scanplane/core';
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * process.exitCode = await runEntrypoint({ handlers: { test: async () => ({ ok: true }) }, signal: controller.signal });
 * ```
 */
export async function runEntrypoint(options: EntrypointOptions): Promise<number> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let command: CommandOptions;
  try {
    command = parseCommandOptions(env[COMMAND_OPTIONS_VARIABLE]);
  } catch (error) {
    stderr.write(`SCANPLANE_ERROR ${JSON.stringify(toTaskError(error))}\n`);
    return EXIT_CODES.invalidCommand;
  }
  const handler = options.handlers[command.kind];
  if (handler === undefined) {
    const error = {
      code: 'INVALID_COMMAND',
      message: `no handler for kind '${command.kind}' (known: ${Object.keys(options.handlers).join(', ') || 'none'})`,
    };
    stderr.write(`SCANPLANE_ERROR ${JSON.stringify(error)}\n`);
    return EXIT_CODES.invalidCommand;
  }
  const signal = options.signal ?? new AbortController().signal;
  try {
    const result = await handler(command, { signal, log: (line) => stdout.write(`${line}\n`) });
    stdout.write(`SCANPLANE_RESULT ${JSON.stringify(result ?? null)}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    const taskError = toTaskError(error);
    stderr.write(`SCANPLANE_ERROR ${JSON.stringify(taskError)}\n`);
    if (signal.aborted) return EXIT_CODES.aborted;
    if (isScanplaneError(error) && error.code === 'INVALID_COMMAND') return EXIT_CODES.invalidCommand;
    return taskError.retryable ? EXIT_CODES.retryable : EXIT_CODES.failed;
  }
}
