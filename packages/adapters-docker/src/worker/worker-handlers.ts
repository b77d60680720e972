import {
  AddressSet,
  type CommandOptions,
  type EntrypointHandler,
  PortSet,
  runForOrganizations,
  ScanplaneError,
  scanTcp,
} from '@scanplane/core';

/**
 * What the `diagnostic` kind of the worker image does, from `arguments.behaviour`: `succeed` (print a line, return
 * `{ ok: true }`), `fail` (fail with `TASK_FAILED`, exit 1), `hang` (run until stopped: SIGTERM ends it with exit
 * 130), `exit` (print `arguments.lines`, wait `arguments.delayMs`, then exit with `arguments.exitCode`, without a
 * result or error line), `oom` (allocate memory until the kernel kills the container), `sleep` (wait `arguments.sleepMs`, then
 * succeed). It is how the tests, the examples and an operator check a launcher end to end without scanning anything.
 *
 * @example
 * ```ts
 * import type { DiagnosticBehaviour } from '@scanplane/docker';
 * const behaviour: DiagnosticBehaviour = 'exit';
 * const payload = { arguments: { behaviour, exitCode: 3, lines: ['about to exit'] } };
 * ```
 */
export type DiagnosticBehaviour = 'succeed' | 'fail' | 'hang' | 'exit' | 'oom' | 'sleep';

const argumentsOf = (options: CommandOptions): Record<string, unknown> => options.arguments ?? {};

/** The `diagnostic` kind (see {@link DiagnosticBehaviour}). */
const diagnostic: EntrypointHandler = async (options, { signal, log }) => {
  const args = argumentsOf(options);
  const behaviour = (args['behaviour'] ?? 'succeed') as DiagnosticBehaviour;
  log(`diagnostic: ${behaviour} (task ${options.taskId})`);
  switch (behaviour) {
    case 'succeed':
      return { ok: true, behaviour };
    case 'sleep': {
      const ms = Number(args['sleepMs'] ?? 1000);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new ScanplaneError('ABORTED', 'diagnostic sleep aborted'));
        });
      });
      return { ok: true, behaviour, sleptMs: ms };
    }
    case 'fail':
      throw new ScanplaneError('TASK_FAILED', 'diagnostic: asked to fail');
    case 'hang':
      await new Promise<never>((_, reject) => {
        const keepAlive = setInterval(() => undefined, 60_000);
        signal.addEventListener('abort', () => {
          clearInterval(keepAlive);
          reject(new ScanplaneError('ABORTED', 'diagnostic hang: stopped by a signal'));
        });
      });
      return undefined;
    case 'exit': {
      for (const line of (args['lines'] as string[] | undefined) ?? []) log(line);
      const delayMs = Number(args['delayMs'] ?? 0);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const code = Number(args['exitCode'] ?? 1);
      // Exit without a result or error line: what a crashed worker looks like to the launcher.
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      process.exit(code);
      return undefined;
    }
    case 'oom': {
      const held: Buffer[] = [];
      for (;;) {
        // Buffers live outside the V8 heap: the container's memory limit is reached before node's heap limit.
        held.push(Buffer.alloc(16 * 1024 * 1024, 1));
        if (held.length % 8 === 0) log(`diagnostic: holding ${held.length * 16} MiB`);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    default:
      throw new ScanplaneError(
        'INVALID_COMMAND',
        `diagnostic: unknown behaviour ${JSON.stringify(behaviour)}`,
      );
  }
};

/** The ports of a scan: the target's, or `arguments.ports` (a string, or a map of organization id to string). */
function portsFor(options: CommandOptions, organizationId?: string): PortSet {
  const ports = argumentsOf(options)['ports'];
  const text =
    typeof ports === 'string'
      ? ports
      : typeof ports === 'object' && ports !== null && organizationId !== undefined
        ? (ports as Record<string, unknown>)[organizationId]
        : undefined;
  if (typeof text !== 'string' || text === '') {
    throw new ScanplaneError(
      'INVALID_COMMAND',
      `tcp-connect: no ports to scan${organizationId === undefined ? '' : ` for organization ${organizationId}`}: set arguments.ports`,
    );
  }
  return PortSet.parse(text);
}

/**
 * The `tcp-connect` kind: a TCP connect scan of the task's target (`target.addresses` × `target.ports`), or, for a
 * scheduled task, of each organization's `scope.ipBlocks` on `arguments.ports`, one organization after another
 * (`runForOrganizations`). Only the addresses given are contacted.
 */
const tcpConnect: EntrypointHandler = async (options, context) => {
  const timeoutMs = Number(argumentsOf(options)['timeoutMs'] ?? 1000);
  if (options.target !== undefined) {
    const ports = PortSet.parse(options.target.ports);
    context.log(`tcp-connect: ${options.target.addresses.join(', ')} ports ${options.target.ports}`);
    return scanTcp(AddressSet.parse(options.target.addresses), ports, { timeoutMs, signal: context.signal });
  }
  return runForOrganizations(options, context, async ({ organizationId, scope }) => {
    const blocks = scope?.ipBlocks ?? [];
    if (blocks.length === 0) {
      throw new ScanplaneError(
        'INVALID_COMMAND',
        `tcp-connect: organization ${organizationId} has no ipBlocks`,
      );
    }
    const ports = portsFor(options, organizationId);
    context.log(`tcp-connect: ${organizationId}: ${blocks.join(', ')} ports ${ports.toString()}`);
    const result = await scanTcp(AddressSet.parse(blocks), ports, { timeoutMs, signal: context.signal });
    return { ...result, openPorts: result.open.map((open) => open.port).sort((a, b) => a - b) };
  });
};

/**
 * The handlers of the worker image's entrypoint, by kind: `tcp-connect` (a TCP connect scan of the task's target, or
 * of each organization's `scope.ipBlocks` on `arguments.ports` for scheduled tasks) and `diagnostic` (see
 * {@link DiagnosticBehaviour}). Pass them, with your own, to `runEntrypoint` in an image of your own.
 *
 * @example
 * ```ts
 * import { runEntrypoint } from '@scanplane/core';
 * import { workerHandlers } from '@scanplane/docker';
 * process.exitCode = await runEntrypoint({ handlers: { ...workerHandlers(), mine: async () => ({ ok: true }) } });
 * ```
 */
export function workerHandlers(): Record<string, EntrypointHandler> {
  return { 'tcp-connect': tcpConnect, diagnostic };
}
