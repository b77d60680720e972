import {
  type CommandOptions,
  type EntrypointHandler,
  type OrganizationRun,
  PortSet,
  type Resolver,
  runForOrganizations,
  ScanplaneError,
  scanTcp,
  summaryToJSON,
} from '@scanplane/core';
import { DEFAULT_PORTS } from '../scan-types.js';
import { scopeTargets } from './scope-targets.js';

/**
 * Options of {@link orgScansHandlers}: the deployment's policy for what the workers may touch.
 *
 * @example
 * ```ts
 * import type { OrgScansHandlerOptions } from './worker-handlers.js';
 * const options: OrgScansHandlerOptions = { allow: ['127.0.0.1'] };
 * ```
 */
export interface OrgScansHandlerOptions {
  /** Only addresses inside these blocks are ever scanned (`ORG_SCANS_ALLOW`); unset: the scope alone decides. */
  allow?: readonly string[];
  /** Resolves root domains. Default the core's DNS resolver. */
  resolver?: Resolver;
}

/** Addresses listed in a result at most (the counts are always complete). */
const LISTED_ADDRESSES = 256;

const argumentsOf = (options: CommandOptions): Record<string, unknown> => options.arguments ?? {};

/** The ports of a portscan for one organization: `arguments.ports` as a list, or a map by organization id. */
function portsFor(options: CommandOptions, organizationId: string): PortSet {
  const ports = argumentsOf(options)['ports'];
  const text =
    ports === undefined
      ? DEFAULT_PORTS
      : typeof ports === 'string'
        ? ports
        : typeof ports === 'object' && ports !== null
          ? ((ports as Record<string, unknown>)[organizationId] ?? DEFAULT_PORTS)
          : undefined;
  if (typeof text !== 'string') {
    throw new ScanplaneError(
      'INVALID_COMMAND',
      `portscan: arguments.ports must be a port list or a map of organization id to port list`,
    );
  }
  return PortSet.parse(text);
}

/** The scope of one organization, made exact, as the part of a result that says what was (not) scanned. */
async function targetsOf(run: OrganizationRun, options: OrgScansHandlerOptions, signal: AbortSignal) {
  const prepared = await scopeTargets(run, { ...options, signal });
  const addresses: string[] = [];
  for (const address of prepared.addresses.addresses()) {
    if (addresses.length >= LISTED_ADDRESSES) break;
    addresses.push(address);
  }
  const hostnames: Record<string, readonly string[]> = {};
  for (const address of addresses) {
    const names = prepared.hostnamesOf(address);
    if (names.length > 0) hostnames[address] = names;
  }
  const refused = [...prepared.refusedEntries()].map((entry) => ({
    entry: entry.input,
    reason: entry.reason,
    ...(entry.message === undefined ? {} : { message: entry.message }),
  }));
  return { prepared, addresses, hostnames, refused, summary: summaryToJSON(prepared.summary) };
}

/**
 * The handlers of the org-scans worker image, by scan type (the task's `kind`), as the core's `runEntrypoint`
 * dispatches them. Per-organization types run through `runForOrganizations`: one organization's failure fails only
 * that organization, and the task's result records each one's outcome.
 *
 * - `portscan`: the organization's scope through the target engine, then `scanTcp` on its ports;
 * - `discovery`: the scope through the target engine, reported, with no connection made;
 * - `test`: a log line, then `arguments.durationMs` of waiting that a stop (SIGTERM) ends at once.
 *
 * @example
 * ```ts
 * import { runEntrypoint } from '@scanplane/core';
 * import { orgScansHandlers } from './worker-handlers.js';
 * process.exitCode = await runEntrypoint({ handlers: orgScansHandlers({ allow: ['127.0.0.1'] }) });
 * ```
 */
export function orgScansHandlers(options: OrgScansHandlerOptions = {}): Record<string, EntrypointHandler> {
  const portscan: EntrypointHandler = (command, context) =>
    runForOrganizations(command, context, async (run) => {
      const ports = portsFor(command, run.organizationId);
      const timeoutMs = Number(argumentsOf(command)['timeoutMs'] ?? 1000);
      const targets = await targetsOf(run, options, context.signal);
      context.log(
        `portscan ${run.organizationId}: ${targets.prepared.addresses.size} address(es), ports ${ports.toString()}`,
      );
      const result = await scanTcp(targets.prepared.addresses, ports, { timeoutMs, signal: context.signal });
      const open = result.open.map(({ address, port }) => ({
        address,
        port,
        hostnames: targets.hostnames[address] ?? [],
      }));
      context.log(
        `portscan ${run.organizationId}: open ${open.map((o) => `${o.address}:${o.port}`).join(', ') || 'none'}`,
      );
      return {
        addresses: targets.addresses,
        refused: targets.refused,
        open,
        openPorts: [...new Set(open.map((o) => o.port))].sort((a, b) => a - b),
        closed: result.closed,
        filtered: result.filtered,
        probes: result.probes,
      };
    });

  const discovery: EntrypointHandler = (command, context) =>
    runForOrganizations(command, context, async (run) => {
      const targets = await targetsOf(run, options, context.signal);
      context.log(`discovery ${run.organizationId}: ${targets.prepared.addresses.size} address(es) in scope`);
      return {
        addresses: targets.addresses,
        hostnames: targets.hostnames,
        refused: targets.refused,
        summary: targets.summary,
      };
    });

  const test: EntrypointHandler = async (command, context) => {
    const durationMs = Number(argumentsOf(command)['durationMs'] ?? 0);
    context.log(`test: task ${command.taskId} of scan ${command.scanId ?? '-'}, running ${durationMs} ms`);
    await new Promise<void>((resolve, reject) => {
      if (context.signal.aborted) {
        reject(new ScanplaneError('ABORTED', 'test: stopped before it began'));
        return;
      }
      const timer = setTimeout(resolve, durationMs);
      context.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(new ScanplaneError('ABORTED', 'test: stopped'));
        },
        { once: true },
      );
    });
    context.log('test: done');
    return { ok: true, durationMs, excludedOrganizations: command.excludedOrganizations ?? [] };
  };

  return { portscan, discovery, test };
}
