import { formatAddress, PortSet, type Protocol, parseAddress, ScanplaneError } from '@scanplane/core';
import {
  checkBoolean,
  checkInteger,
  checkOneOf,
  checkRecord,
  checkToken,
  optionError,
  show,
} from './option-checks.js';

/**
 * How phase 1 probes TCP ports: `connect` (`-sT`, full connects through the operating system: no privileges
 * needed) or `syn` (`-sS`, half-open with raw packets: needs root or CAP_NET_RAW, and `limits.allowPrivileged`).
 *
 * @example
 * ```ts
 * import type { NmapScanType } from './nmap-options.js';
 * const scanType: NmapScanType = 'connect';
 * ```
 */
export type NmapScanType = 'connect' | 'syn';

/**
 * The options of a two-phase nmap scan, as a task's `payload.nmap` or a handler's `defaults` carry them (JSON).
 * Every one is optional and bounded ({@link NMAP_OPTION_BOUNDS}); unknown keys are refused, not ignored.
 *
 * @example
 * ```ts
 * import type { NmapScanOptions } from './nmap-options.js';
 * const options: NmapScanOptions = { timing: 4, maxRetries: 1, minRate: 2000, versionIntensity: 5 };
 * ```
 */
export interface NmapScanOptions {
  /** TCP scan type. Default `connect` (`-sT`). */
  scanType?: NmapScanType;
  /** Timing template `-T0` to `-T5`. Default 3 (nmap's own default). */
  timing?: number;
  /** `--host-timeout`: nmap gives up on the host after this, in milliseconds (1 s to `limits.maxHostTimeoutMs`). */
  hostTimeoutMs?: number;
  /** `--max-retries`, 0 to 20. */
  maxRetries?: number;
  /** `--min-rate` in packets per second, 1 to `limits.maxRate`. */
  minRate?: number;
  /** `--max-rate` in packets per second, 1 to `limits.maxRate`, not below `minRate`. */
  maxRate?: number;
  /** `--min-rtt-timeout` in milliseconds, 1 to 60000. */
  minRttTimeoutMs?: number;
  /** `--max-rtt-timeout` in milliseconds, 1 to 60000, not below `minRttTimeoutMs`. */
  maxRttTimeoutMs?: number;
  /** `--initial-rtt-timeout` in milliseconds, 1 to 60000. */
  initialRttTimeoutMs?: number;
  /** Run phase 2 (service detection, `-sV`) on the open ports. Default true. */
  serviceDetection?: boolean;
  /** `--version-intensity` of phase 2, 0 (fastest, fewest probes) to 9 (all probes). Default 7 (nmap's). */
  versionIntensity?: number;
  /** `-Pn`: treat the host as up without a discovery probe. Default true (as Tasker). */
  skipHostDiscovery?: boolean;
  /** Reverse DNS: false gives `-n` (default), true gives `-R`. */
  resolveDns?: boolean;
}

/**
 * What an operator allows, beyond the fixed bounds: privileged scan types and caps on ports, rate and host timeout.
 *
 * @example
 * ```ts
 * import type { NmapLimits } from './nmap-options.js';
 * const limits: NmapLimits = { allowPrivileged: false, maxPorts: 65535, maxRate: 5000 };
 * ```
 */
export interface NmapLimits {
  /** Allow scans that need raw sockets: `scanType: 'syn'` (`-sS`), UDP ports (`-sU`), SCTP ports (`-sY`). Default false. */
  allowPrivileged?: boolean;
  /** Most (protocol, port) pairs one task may scan, 1 to 196605. Default 196605 (every port of every protocol). */
  maxPorts?: number;
  /** Ceiling of `minRate` and `maxRate`, 1 to 1,000,000. Default 30000 (Tasker's bound). */
  maxRate?: number;
  /** Ceiling of `hostTimeoutMs`, 1 s to 7 days. Default 24 hours. */
  maxHostTimeoutMs?: number;
}

/**
 * The options after defaults and validation.
 *
 * @example
 * ```ts
 * import { resolveNmapOptions } from './nmap-options.js';
 * resolveNmapOptions({ timing: 4 }).versionIntensity; // 7
 * ```
 */
export type ResolvedNmapOptions = Required<
  Pick<
    NmapScanOptions,
    'scanType' | 'timing' | 'serviceDetection' | 'versionIntensity' | 'skipHostDiscovery' | 'resolveDns'
  >
> &
  Omit<
    NmapScanOptions,
    'scanType' | 'timing' | 'serviceDetection' | 'versionIntensity' | 'skipHostDiscovery' | 'resolveDns'
  >;

/**
 * The fixed bounds of the numeric options (inclusive). `limits` may lower the rate and host-timeout ceilings.
 *
 * @example
 * ```ts
 * import { NMAP_OPTION_BOUNDS } from './nmap-options.js';
 * NMAP_OPTION_BOUNDS.timing; // [0, 5]
 * ```
 */
export const NMAP_OPTION_BOUNDS = Object.freeze({
  timing: [0, 5],
  hostTimeoutMs: [1000, 7 * 86_400_000],
  maxRetries: [0, 20],
  minRate: [1, 1_000_000],
  maxRate: [1, 1_000_000],
  minRttTimeoutMs: [1, 60_000],
  maxRttTimeoutMs: [1, 60_000],
  initialRttTimeoutMs: [1, 60_000],
  versionIntensity: [0, 9],
} as const satisfies Record<string, readonly [number, number]>);

const OPTION_KEYS: readonly (keyof NmapScanOptions)[] = [
  'scanType',
  'timing',
  'hostTimeoutMs',
  'maxRetries',
  'minRate',
  'maxRate',
  'minRttTimeoutMs',
  'maxRttTimeoutMs',
  'initialRttTimeoutMs',
  'serviceDetection',
  'versionIntensity',
  'skipHostDiscovery',
  'resolveDns',
];
const LIMIT_KEYS: readonly (keyof NmapLimits)[] = [
  'allowPrivileged',
  'maxPorts',
  'maxRate',
  'maxHostTimeoutMs',
];
const MAX_PORT_PAIRS = 3 * 65535;
const BUILT_IN: ResolvedNmapOptions = Object.freeze({
  scanType: 'connect',
  timing: 3,
  serviceDetection: true,
  versionIntensity: 7,
  skipHostDiscovery: true,
  resolveDns: false,
});

/**
 * Limits after defaults and validation.
 * @internal
 */
export type ResolvedNmapLimits = Required<NmapLimits>;

/**
 * Validates limits and fills in their defaults.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` naming the limit and its bound.
 * @example
 * ```ts
 * import { resolveNmapLimits } from './nmap-options.js';
 * resolveNmapLimits({ maxRate: 5000 }).allowPrivileged; // false
 * ```
 */
export function resolveNmapLimits(limits: unknown = {}): ResolvedNmapLimits {
  const source = 'limits';
  const record = checkRecord('limits', source, limits, LIMIT_KEYS);
  return {
    allowPrivileged:
      record.allowPrivileged === undefined
        ? false
        : checkBoolean('allowPrivileged', source, record.allowPrivileged),
    maxPorts:
      record.maxPorts === undefined
        ? MAX_PORT_PAIRS
        : checkInteger('maxPorts', source, record.maxPorts, 1, MAX_PORT_PAIRS),
    maxRate:
      record.maxRate === undefined ? 30_000 : checkInteger('maxRate', source, record.maxRate, 1, 1_000_000),
    maxHostTimeoutMs:
      record.maxHostTimeoutMs === undefined
        ? 86_400_000
        : checkInteger('maxHostTimeoutMs', source, record.maxHostTimeoutMs, 1000, 7 * 86_400_000),
  };
}

/**
 * Validates scan options and fills in defaults: built-in defaults, then `defaults`, then `options`. Each layer is
 * checked on its own (so an error names the layer it came from), then the combination (`minRate ≤ maxRate`,
 * `minRttTimeoutMs ≤ maxRttTimeoutMs`, privileged scan types).
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` naming the option, where it came from and the bound it breaks.
 * @example
 * ```ts
 * import { resolveNmapOptions } from './nmap-options.js';
 * resolveNmapOptions({ maxRetries: 1 }, { defaults: { timing: 4 } }); // { scanType: 'connect', timing: 4, … }
 * ```
 */
export function resolveNmapOptions(
  options: unknown = {},
  context: { defaults?: unknown; limits?: NmapLimits | ResolvedNmapLimits; source?: string } = {},
): ResolvedNmapOptions {
  const limits = resolveNmapLimits(context.limits);
  const fromDefaults = checkLayer(context.defaults ?? {}, 'defaults', limits);
  const fromOptions = checkLayer(options, context.source ?? 'options', limits);
  const resolved: ResolvedNmapOptions = { ...BUILT_IN, ...fromDefaults, ...fromOptions };
  const source = context.source ?? 'options';
  if (resolved.minRate !== undefined && resolved.maxRate !== undefined && resolved.minRate > resolved.maxRate)
    throw optionError(
      'minRate',
      source,
      `(${resolved.minRate}) must not be above maxRate (${resolved.maxRate})`,
    );
  if (
    resolved.minRttTimeoutMs !== undefined &&
    resolved.maxRttTimeoutMs !== undefined &&
    resolved.minRttTimeoutMs > resolved.maxRttTimeoutMs
  ) {
    throw optionError(
      'minRttTimeoutMs',
      source,
      `(${resolved.minRttTimeoutMs}) must not be above maxRttTimeoutMs (${resolved.maxRttTimeoutMs})`,
    );
  }
  if (resolved.scanType === 'syn' && !limits.allowPrivileged) {
    throw optionError(
      'scanType',
      source,
      "'syn' (-sS) needs raw sockets and is not allowed here: use 'connect', or set limits.allowPrivileged",
    );
  }
  return resolved;
}

function checkLayer(layer: unknown, source: string, limits: ResolvedNmapLimits): NmapScanOptions {
  const record = checkRecord('scan', source, layer, OPTION_KEYS);
  const out: NmapScanOptions = {};
  const ceiling: Partial<Record<keyof typeof NMAP_OPTION_BOUNDS, number>> = {
    minRate: limits.maxRate,
    maxRate: limits.maxRate,
    hostTimeoutMs: limits.maxHostTimeoutMs,
  };
  for (const key of OPTION_KEYS) {
    const value = record[key];
    if (value === undefined) continue;
    if (key === 'scanType') out.scanType = checkOneOf(key, source, value, ['connect', 'syn'] as const);
    else if (key === 'serviceDetection' || key === 'skipHostDiscovery' || key === 'resolveDns')
      out[key] = checkBoolean(key, source, value);
    else {
      const [min, max] = NMAP_OPTION_BOUNDS[key];
      out[key] = checkInteger(key, source, value, min, ceiling[key] ?? max);
    }
  }
  return out;
}

/**
 * The one address an nmap task scans, canonical, with its family.
 *
 * @example
 * ```ts
 * import type { NmapTarget } from './nmap-options.js';
 * const target: NmapTarget = { address: '127.0.0.1', family: 4 };
 * ```
 */
export interface NmapTarget {
  /** Canonical text: dotted decimal or RFC 5952. */
  address: string;
  /** 4 or 6 (`-6`). */
  family: 4 | 6;
}

/**
 * Parses the one IP address a task scans with core's strict parser (no hostnames, networks, ranges or options) and
 * returns it in canonical form.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` when it is not one IP address.
 * @example
 * ```ts
 * import { parseNmapTarget } from './nmap-options.js';
 * parseNmapTarget('::ffff:127.0.0.1'); // { address: '127.0.0.1', family: 4 }
 * ```
 */
export function parseNmapTarget(text: unknown, source = 'task target'): NmapTarget {
  const token = checkToken('target', source, text, 64);
  const parsed = parseAddress(token);
  if (parsed === undefined)
    throw optionError('target', source, `must be one IPv4 or IPv6 address, got ${show(token)}`);
  return { address: formatAddress(parsed), family: parsed.family };
}

/**
 * Parses the ports a task scans (nmap's `-p` syntax, through core's {@link PortSet}) and checks them against the
 * limits: at most `limits.maxPorts` pairs; UDP (`-sU`) and SCTP (`-sY`) only when privileged scans are allowed.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` for unsafe text, too many ports or a protocol not allowed;
 *   `PORTS_INVALID` (from {@link PortSet.parse}) for a malformed specification.
 * @example
 * ```ts
 * import { parseNmapPorts } from './nmap-options.js';
 * parseNmapPorts('443,80,1000-1002').toString(); // '80,443,1000-1002'
 * ```
 */
export function parseNmapPorts(
  spec: unknown,
  limits: NmapLimits | ResolvedNmapLimits = {},
  source = 'task ports',
): PortSet {
  const resolved = resolveNmapLimits(limits);
  const ports = spec instanceof PortSet ? spec : PortSet.parse(checkToken('ports', source, spec));
  if (ports.isEmpty) throw optionError('ports', source, 'must name at least one port');
  if (ports.size > resolved.maxPorts) {
    throw optionError(
      'ports',
      source,
      `names ${ports.size} ports, above limits.maxPorts (${resolved.maxPorts})`,
      {
        max: resolved.maxPorts,
        value: ports.size,
      },
    );
  }
  for (const protocol of ports.protocols) {
    if (protocol !== 'tcp' && !resolved.allowPrivileged) {
      throw optionError(
        'ports',
        source,
        `has ${protocol.toUpperCase()} ports, whose scan (${SCAN_FLAG[protocol]}) needs raw sockets and is not allowed here: set limits.allowPrivileged`,
      );
    }
  }
  return ports;
}

const SCAN_FLAG: Record<Protocol, string> = { tcp: '-sT', udp: '-sU', sctp: '-sY' };

/**
 * The two command lines of a scan, built from validated parts.
 *
 * @example
 * ```ts
 * import type { NmapCommand } from './nmap-options.js';
 * const firstArgs = (command: NmapCommand) => command.discoveryArgs;
 * ```
 */
export interface NmapCommand {
  /** The address scanned. */
  target: NmapTarget;
  /** The ports of phase 1. */
  ports: PortSet;
  /** The options used. */
  options: ResolvedNmapOptions;
  /** Phase 1: find the open ports (`--open`), as an argument list (no shell). */
  discoveryArgs: string[];
  /**
   * Phase 2: service detection (`-sV`) on `open` only, as an argument list.
   *
   * @throws {@link ScanplaneError} `INVALID_ARGUMENT` when `open` is empty or not within the scanned ports.
   */
  serviceArgs(open: PortSet): string[];
}

/**
 * Builds both command lines of Tasker's two-phase scan from a target, ports and options, validating all of them
 * first. The result is an argument list for `spawn`/`execFile` without a shell: every value is either a fixed flag
 * or a number or canonical text produced here (the address from core's parser, the ports from {@link PortSet}), and
 * the target comes after `--`, so nothing can be read as another option.
 *
 * Phase 1: `<scan type per protocol> [-6] [-Pn] (-n|-R) -T<n> [--host-timeout …] [--max-retries …] [rtt and rate
 * options] --open -p <ports> -oX - --noninteractive -- <address>`. Phase 2: the same up to the rate options, then
 * `-sV --version-intensity <n> -p <open ports> -oX - --noninteractive -- <address>`.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` naming the option and its bound, `PORTS_INVALID` for bad ports.
 * @example
 * ```ts
 * import { buildNmapCommand } from './nmap-options.js';
 * const command = buildNmapCommand({ target: '127.0.0.1', ports: '22,80', options: { timing: 4 } });
 * command.discoveryArgs; // ['-sT', '-Pn', '-n', '-T4', '--open', '-p', '22,80', '-oX', '-', '--noninteractive', '--', '127.0.0.1']
 * ```
 */
export function buildNmapCommand(input: {
  target: unknown;
  ports: unknown;
  options?: unknown;
  defaults?: unknown;
  limits?: NmapLimits;
  source?: string;
}): NmapCommand {
  const limits = resolveNmapLimits(input.limits);
  const target = parseNmapTarget(input.target);
  const ports = parseNmapPorts(input.ports, limits);
  const options = resolveNmapOptions(input.options, {
    defaults: input.defaults,
    limits,
    ...(input.source === undefined ? {} : { source: input.source }),
  });
  const common = (protocols: Protocol[]): string[] => [
    ...protocols.map((protocol) =>
      protocol === 'tcp' && options.scanType === 'syn' ? '-sS' : SCAN_FLAG[protocol],
    ),
    ...(target.family === 6 ? ['-6'] : []),
    ...(options.skipHostDiscovery ? ['-Pn'] : []),
    options.resolveDns ? '-R' : '-n',
    `-T${options.timing}`,
    ...(options.hostTimeoutMs === undefined ? [] : ['--host-timeout', `${options.hostTimeoutMs}ms`]),
    ...(options.maxRetries === undefined ? [] : ['--max-retries', `${options.maxRetries}`]),
    ...(options.minRttTimeoutMs === undefined ? [] : ['--min-rtt-timeout', `${options.minRttTimeoutMs}ms`]),
    ...(options.maxRttTimeoutMs === undefined ? [] : ['--max-rtt-timeout', `${options.maxRttTimeoutMs}ms`]),
    ...(options.initialRttTimeoutMs === undefined
      ? []
      : ['--initial-rtt-timeout', `${options.initialRttTimeoutMs}ms`]),
    ...(options.minRate === undefined ? [] : ['--min-rate', `${options.minRate}`]),
    ...(options.maxRate === undefined ? [] : ['--max-rate', `${options.maxRate}`]),
  ];
  const tail = ['-oX', '-', '--noninteractive', '--', target.address];
  return {
    target,
    ports,
    options,
    discoveryArgs: [...common(ports.protocols), '--open', '-p', ports.toString(), ...tail],
    serviceArgs(open: PortSet): string[] {
      if (!(open instanceof PortSet) || open.isEmpty)
        throw new ScanplaneError('INVALID_ARGUMENT', 'service detection needs at least one open port');
      if (!open.subtract(ports).isEmpty) {
        throw new ScanplaneError(
          'INVALID_ARGUMENT',
          `service detection ports ${open} are not all within the scanned ports ${ports}`,
        );
      }
      return [
        ...common(open.protocols),
        '-sV',
        '--version-intensity',
        `${options.versionIntensity}`,
        '-p',
        open.toString(),
        ...tail,
      ];
    },
  };
}
