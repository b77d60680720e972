import { PortSet, type ScanDefinition, ScanplaneError } from '@scanplane/core';

/**
 * What the deployment knows about one scan type (Crossfeed's `SCAN_SCHEMA` entry): whether it touches the target,
 * whether it runs once for all organizations, the container resources it needs, and how its `arguments` are checked.
 * Operators choose a type; they never set `passive` or `global` themselves, so an active scan cannot be declared
 * passive to reach passive organizations.
 *
 * @example
 * ```ts
 * import { SCAN_TYPES } from './scan-types.js';
 * SCAN_TYPES.portscan.passive; // false: never sent to passive organizations
 * ```
 */
export interface ScanType {
  /** One line for operators. */
  description: string;
  /** Never touches the target (a passive organization may receive it). */
  passive: boolean;
  /** Runs once for all organizations instead of once per organization. */
  global: boolean;
  /** Container resources (cpu units, memory MiB), as launchers read them from the scan definition. */
  resources?: { cpu?: number; memory?: number };
  /**
   * Checks a scan's `arguments` for this type and throws `INVALID_ARGUMENT` (or `PORTS_INVALID`) naming the field.
   * `where` names the scan (`scan portscan`).
   */
  checkArguments(args: Record<string, unknown>, where: string): void;
}

/** The ports `portscan` probes when its arguments name none. */
export const DEFAULT_PORTS = '21,22,25,80,443,3389,8080,8443';

const checkPorts = (value: unknown, where: string): void => {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ScanplaneError('INVALID_ARGUMENT', `${where}: must be a port list such as '22,80,8000-8100'`, {
      details: { where },
    });
  }
  try {
    PortSet.parse(value);
  } catch (error) {
    throw new ScanplaneError('PORTS_INVALID', `${where}: ${(error as Error).message}`, {
      details: { where },
      cause: error,
    });
  }
};

const checkNonNegative = (value: unknown, where: string): void => {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    throw new ScanplaneError('INVALID_ARGUMENT', `${where}: must be a non-negative integer`, {
      details: { where },
    });
  }
};

/**
 * The scan types this deployment's worker image runs (its entrypoint dispatches on them):
 * - `portscan`: active, per organization — a TCP connect scan of the organization's scope (IP blocks and the
 *   addresses its root domains resolve to, through the core's target engine) on `arguments.ports` (a port list, or
 *   a map of organization id to port list); `arguments.timeoutMs` per connection.
 * - `discovery`: passive, per organization — resolves the scope through the target engine and reports what it
 *   holds (addresses, hostnames, refused entries); it connects to nothing.
 * - `test`: passive, global — Crossfeed's `test` scan: logs a line, then waits `arguments.durationMs` (default 0)
 *   unless stopped; a way to see the launcher, logs and kill work without scanning.
 *
 * @example
 * ```ts
 * import { SCAN_TYPES } from './scan-types.js';
 * Object.keys(SCAN_TYPES); // ['portscan', 'discovery', 'test']
 * ```
 */
export const SCAN_TYPES: Readonly<Record<string, ScanType>> = Object.freeze({
  portscan: {
    description: 'TCP connect scan of each organization’s IP blocks and root domains',
    passive: false,
    global: false,
    resources: { cpu: 512, memory: 256 },
    checkArguments(args, where) {
      const ports = args['ports'];
      if (ports !== undefined) {
        if (typeof ports === 'object' && ports !== null && !Array.isArray(ports)) {
          for (const [organizationId, list] of Object.entries(ports))
            checkPorts(list, `${where}, arguments.ports.${organizationId}`);
        } else checkPorts(ports, `${where}, arguments.ports`);
      }
      checkNonNegative(args['timeoutMs'], `${where}, arguments.timeoutMs`);
    },
  },
  discovery: {
    description: 'Resolves each organization’s scope through the target engine; connects to nothing',
    passive: true,
    global: false,
    resources: { cpu: 256, memory: 128 },
    checkArguments() {},
  },
  test: {
    description: 'Logs a line and waits arguments.durationMs, unless stopped (Crossfeed’s test scan)',
    passive: true,
    global: true,
    resources: { cpu: 256, memory: 128 },
    checkArguments(args, where) {
      checkNonNegative(args['durationMs'], `${where}, arguments.durationMs`);
    },
  },
});

/** The scan types by name, for the scheduler's `knownTypes`. */
export const SCAN_TYPE_NAMES: readonly string[] = Object.freeze(Object.keys(SCAN_TYPES));

/**
 * Completes a scan definition from its type's entry: `passive`, `global` and `resources` come from
 * {@link SCAN_TYPES}, whatever the definition said; its `arguments` are checked for the type.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` for an unknown type or bad arguments, `PORTS_INVALID` for a
 *   port list that does not parse.
 * @example
 * ```ts
 * import { withScanType } from './scan-types.js';
 * withScanType({ id: 'ports', type: 'portscan', frequencySeconds: 3600 }).passive; // false
 * ```
 */
export function withScanType(scan: ScanDefinition): ScanDefinition {
  const type = Object.hasOwn(SCAN_TYPES, scan.type) ? SCAN_TYPES[scan.type] : undefined;
  if (type === undefined) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `scan ${scan.id}, type: unknown scan type '${scan.type}' (known: ${SCAN_TYPE_NAMES.join(', ')})`,
      { details: { where: `scan ${scan.id}, type` } },
    );
  }
  type.checkArguments(scan.arguments ?? {}, `scan ${scan.id}`);
  const completed: ScanDefinition = { ...scan, passive: type.passive, global: type.global };
  if (type.resources !== undefined) completed.resources = { ...type.resources };
  return completed;
}
