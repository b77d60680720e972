import {
  isScanplaneError,
  PortSet,
  parseTargetEntry,
  ScanplaneError,
  type SubmitOptions,
  type TaskTimeouts,
} from '@scanplane/core';

/**
 * The body of `POST /tasks/{project}/run` (and `/run-nmap`), as the JSON schema admits it.
 *
 * @example
 * ```ts
 * import type { RunRequest } from './run-request.js';
 * const body: RunRequest = { targets: ['127.0.0.1', '127.0.1.0/24'], ports: '22,80,443', mode: 'tcp-connect' };
 * ```
 */
export interface RunRequest {
  /** Addresses, CIDRs, ranges, nmap octet ranges, hostnames, URLs (see `@scanplane/core`'s `parseTargetEntry`). */
  targets?: string[];
  /** Tasker's name for `targets`; give one of the two. */
  hosts?: string[];
  /** Ports (`22,80,443`, `1-1024`, `U:53,T:80`). Default {@link DEFAULT_PORTS}. */
  ports?: string;
  /** The handler kind: `tcp-connect` (the core's TCP connect scanner) or `nmap` (Tasker's two-phase nmap scan). */
  mode?: string;
  /** Run-time limit of each task, in seconds (1–86400). */
  timeout?: number;
  /** `rescan` (default: skip only what active tasks cover) or `skip-known` (also skip what was scanned recently). */
  dedup?: 'rescan' | 'skip-known';
  /** For `skip-known`: how far back a scan counts, in seconds. Default 30 days. */
  knownWindow?: number;
  /** Addresses never to scan, in target syntax. */
  exclude?: string[];
  /** Refuse private, loopback and other non-global addresses too. */
  publicOnly?: boolean;
  /** Leave out network and broadcast addresses of CIDRs (Tasker's behaviour). */
  hostsOnly?: boolean;
  /** `all` (default) answers of a hostname, or only the `first` (Tasker's `single_resolve`). */
  resolution?: 'all' | 'first';
  /** Higher runs first (0–255). Default 1. */
  priority?: number;
  /** Attempts per task (1–20). Default 3. */
  maxAttempts?: number;
  /** Options of the nmap scan (kind `nmap`), passed to the handler as `payload.nmap`. */
  nmap?: Record<string, unknown>;
}

/** Ports scanned when a request names none. */
export const DEFAULT_PORTS = '1-1024';

/**
 * Limits and defaults the service applies to every run request.
 *
 * @example
 * ```ts
 * import type { RunLimits } from './run-request.js';
 * const limits: RunLimits = { kinds: ['tcp-connect'], maxAddressesPerEntry: 65_536, maxAddressesPerRequest: 1_048_576 };
 * ```
 */
export interface RunLimits {
  /** Kinds a request may name (the ones workers run). */
  kinds: readonly string[];
  /** Largest entry, in addresses; larger ones are refused (`TARGET_TOO_LARGE`) before anything is expanded. */
  maxAddressesPerEntry: number;
  /** Largest request, in addresses (the sum over its address entries, before dedup). */
  maxAddressesPerRequest: number;
  /** Time limits of every task (leases, start); a request's `timeout` sets `runMs`. */
  timeouts?: Partial<TaskTimeouts>;
  /** Checks the ports and payload for the kind, as its handler will (throws a `ScanplaneError`). */
  checkKindOptions?: (kind: string, ports: PortSet, payload: Record<string, unknown> | undefined) => void;
}

/** A validated run request: the entries and the orchestrator's submit options. */
export interface ParsedRunRequest {
  /** The target entries, as given. */
  entries: string[];
  /** What `orchestrator.submit` takes. */
  options: SubmitOptions;
}

/** At most this many refused entries are listed in an error's details. */
const LISTED = 20;

/**
 * Checks a run request completely before anything is created: every target entry must parse (Tasker's rule: one
 * invalid host fails the whole request), no entry may be over the per-entry cap, the request over the per-request
 * cap, the ports must parse and the kind must be one the workers run. Returns the entries and submit options.
 *
 * @throws `ScanplaneError` `TARGET_INVALID` (each bad entry with its index and why, in `details.entries`),
 *   `TARGET_TOO_LARGE`, `PORTS_INVALID` (`details.field: 'ports'`) or `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { parseRunRequest } from './run-request.js';
 * const { entries, options } = parseRunRequest(
 *   { targets: ['127.0.0.1'], ports: '80' },
 *   { kinds: ['tcp-connect'], maxAddressesPerEntry: 65_536, maxAddressesPerRequest: 1_048_576 },
 * );
 * ```
 */
export function parseRunRequest(
  body: RunRequest,
  limits: RunLimits,
  defaults: { mode?: string } = {},
): ParsedRunRequest {
  if (body.targets !== undefined && body.hosts !== undefined) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      'give the targets as either "targets" or "hosts", not both',
      {
        details: { field: 'targets' },
      },
    );
  }
  const entries = body.targets ?? body.hosts;
  const field = body.targets === undefined ? 'hosts' : 'targets';
  if (entries === undefined || entries.length === 0) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'a run request needs at least one target in "targets"', {
      details: { field: 'targets' },
    });
  }
  checkEntries(entries, field, limits);
  const kind = body.mode ?? defaults.mode ?? 'tcp-connect';
  if (!limits.kinds.includes(kind)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `mode ${JSON.stringify(kind)} is not run here; the workers run ${limits.kinds.join(', ')}`,
      { details: { field: 'mode', mode: kind, kinds: [...limits.kinds] } },
    );
  }
  const ports = parsePorts(body.ports ?? DEFAULT_PORTS);
  const options: SubmitOptions = { ports, kind, maxAddresses: limits.maxAddressesPerEntry };
  const timeouts: Partial<TaskTimeouts> = { ...(limits.timeouts ?? {}) };
  if (body.timeout !== undefined) timeouts.runMs = body.timeout * 1000;
  if (Object.keys(timeouts).length > 0) options.timeouts = timeouts;
  if (body.dedup !== undefined) options.mode = body.dedup;
  if (body.knownWindow !== undefined) options.knownWindowMs = body.knownWindow * 1000;
  if (body.exclude !== undefined) {
    checkEntries(body.exclude, 'exclude', { ...limits, maxAddressesPerRequest: Number.POSITIVE_INFINITY });
    options.exclude = body.exclude;
  }
  if (body.publicOnly !== undefined) options.publicOnly = body.publicOnly;
  if (body.hostsOnly !== undefined) options.hostsOnly = body.hostsOnly;
  if (body.resolution !== undefined) options.resolution = body.resolution;
  if (body.priority !== undefined) options.priority = body.priority;
  if (body.maxAttempts !== undefined) options.maxAttempts = body.maxAttempts;
  if (body.nmap !== undefined) {
    if (kind !== 'nmap') {
      throw new ScanplaneError('INVALID_ARGUMENT', `"nmap" options only apply to mode nmap, not ${kind}`, {
        details: { field: 'nmap', mode: kind },
      });
    }
    options.payload = { nmap: body.nmap };
  }
  limits.checkKindOptions?.(kind, ports, options.payload);
  return { entries, options };
}

/** Parses every entry; throws one error naming every bad one (the first {@link LISTED}). */
function checkEntries(entries: readonly string[], field: string, limits: RunLimits): void {
  const invalid: Array<{ index: number; entry: string; message: string }> = [];
  const tooLarge: Array<{ index: number; entry: string; message: string }> = [];
  let invalidCount = 0;
  let tooLargeCount = 0;
  let total = 0n;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as string;
    const parsed = parseTargetEntry(entry, { maxAddresses: limits.maxAddressesPerEntry });
    if (parsed.ok) {
      total += parsed.entry.size;
      continue;
    }
    const item = {
      index,
      entry: entry.length > 200 ? `${entry.slice(0, 200)}…` : entry,
      message: parsed.message,
    };
    if (parsed.reason === 'too_large') {
      tooLargeCount++;
      if (tooLarge.length < LISTED) tooLarge.push(item);
    } else {
      invalidCount++;
      if (invalid.length < LISTED) invalid.push(item);
    }
  }
  if (invalidCount > 0) {
    const first = invalid[0] as { index: number; message: string };
    throw new ScanplaneError(
      'TARGET_INVALID',
      `${invalidCount} entr${invalidCount === 1 ? 'y' : 'ies'} of "${field}" could not be parsed; the first, ${field}[${first.index}]: ${first.message}`,
      { details: { field, count: invalidCount, entries: invalid } },
    );
  }
  if (tooLargeCount > 0) {
    const first = tooLarge[0] as { index: number; message: string };
    throw new ScanplaneError(
      'TARGET_TOO_LARGE',
      `${tooLargeCount} entr${tooLargeCount === 1 ? 'y' : 'ies'} of "${field}" are over ${limits.maxAddressesPerEntry} addresses; the first, ${field}[${first.index}]: ${first.message}`,
      {
        details: {
          field,
          count: tooLargeCount,
          maxAddresses: limits.maxAddressesPerEntry,
          entries: tooLarge,
        },
      },
    );
  }
  if (total > BigInt(limits.maxAddressesPerRequest)) {
    throw new ScanplaneError(
      'TARGET_TOO_LARGE',
      `"${field}" adds up to ${total} addresses, over the limit of ${limits.maxAddressesPerRequest} per request; split it`,
      {
        details: {
          field,
          addresses: total.toString(),
          maxAddressesPerRequest: limits.maxAddressesPerRequest,
        },
      },
    );
  }
}

/** Parses the ports, naming the field in the error. */
function parsePorts(ports: string): PortSet {
  try {
    return PortSet.parse(ports);
  } catch (error) {
    if (isScanplaneError(error)) {
      throw new ScanplaneError(error.code, `"ports": ${error.message.replace(/^\[scanplane\] /, '')}`, {
        cause: error,
        details: { ...error.details, field: 'ports', ports },
      });
    }
    throw error;
  }
}
