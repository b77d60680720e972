import { ScanplaneError } from '../errors/scanplane-error.js';
import { MAX_CHUNKS } from '../worker/entrypoint.js';
import { parseCron } from './cron.js';

/**
 * An organization whose scope is scanned on a schedule (Crossfeed's `Organization`).
 *
 * @example
 * ```ts
 * import type { Organization } from '@scanplane/core';
 * const acme: Organization = {
 *   id: 'acme', name: 'Acme', passive: false, tags: ['energy'],
 *   scope: { rootDomains: ['acme.example'], ipBlocks: ['192.0.2.0/24'] },
 * };
 * ```
 */
export interface Organization {
  /** Unique id (sent to workers as `organizations[].id`). */
  id: string;
  /** Display name (sent to workers as `organizations[].name`). */
  name: string;
  /** A passive organization never receives active scans (scans that touch the target). */
  passive: boolean;
  /** Tags, for granular scans that select organizations by tag. */
  tags: string[];
  /** Its authorised scope, for the target engine: root domains and IP blocks (addresses, CIDRs, ranges). */
  scope?: {
    /** Domains the organization owns. */
    rootDomains?: string[];
    /** Address blocks the organization owns. */
    ipBlocks?: string[];
  };
  /** A disabled organization is not scanned. Default true. */
  enabled?: boolean;
}

/**
 * A scan definition: what runs, on which organizations, how often (Crossfeed's `Scan` plus its `SCAN_SCHEMA` entry).
 * Exactly one of `frequencySeconds` and `cron` is set.
 *
 * @example
 * ```ts
 * import type { ScanDefinition } from '@scanplane/core';
 * const portscan: ScanDefinition = {
 *   id: 'portscan', type: 'portscanner', global: false, passive: false,
 *   frequencySeconds: 86_400, organizationsPerTask: 10, dependsOn: ['amass'],
 *   arguments: { ports: '1-1024' },
 * };
 * ```
 */
export interface ScanDefinition {
  /** Unique id; task history is keyed by it. */
  id: string;
  /** The scan type: the worker's handler (`kind` of its tasks), e.g. `portscanner`. */
  type: string;
  /** Runs once for all organizations (true) or per organization (false). Default false. */
  global?: boolean;
  /** Never touches the target (true), so passive organizations may receive it. Default false. */
  passive?: boolean;
  /** Runs again this many seconds after its last finish (Crossfeed's `frequency`). */
  frequencySeconds?: number;
  /** A cron expression (5 fields, or 6 with seconds; `@daily` and the like), instead of a frequency. */
  cron?: string;
  /** The IANA time zone of `cron` (`Europe/Berlin`). Default UTC. */
  timezone?: string;
  /** Spreads runs: each (scan, organization) pair becomes due up to this many seconds later, fixed per pair. */
  jitterSeconds?: number;
  /**
   * Runs only on these organizations (Crossfeed's `isGranular` with `organizations` and `tags`): the de-duplicated
   * union of the listed organizations and every organization carrying one of the tags. Absent: all organizations.
   */
  granular?: {
    /** Organization ids. */
    organizations?: string[];
    /** Tags: every organization with one of them is included. */
    tags?: string[];
  };
  /** Runs once per organization (or once, if global) until it finishes; a failed run is retried per `maxAttempts`. */
  singleShot?: boolean;
  /**
   * A pending manual run, by request time (Crossfeed's `manualRunPending`): runs at the next tick whatever the
   * frequency, cron, single-shot state or dependencies, but never alongside active work of the same pair.
   */
  manualRunRequestedAt?: number;
  /** Splits each task into this many chunks (1 to 100), one task per chunk. Default 1 (no chunk fields sent). */
  chunks?: number;
  /** Organizations per task (Crossfeed's `SCHEDULER_ORGS_PER_SCANTASK`). Default: the scheduler's option. */
  organizationsPerTask?: number;
  /** Higher gets capacity first. Default 1. */
  priority?: number;
  /** What its workers need: cpu units and memory in MiB (launchers map them: Fargate, Docker). */
  resources?: {
    /** CPU units (1024 = one vCPU). */
    cpu?: number;
    /** Memory in MiB. */
    memory?: number;
  };
  /** Arguments that reach the worker (`CommandOptions.arguments`). JSON. */
  arguments?: Record<string, unknown>;
  /**
   * Scan ids this scan waits for: it runs on an organization only once each of them has succeeded there since this
   * scan's own last run there (Crossfeed issue #444: "portscanner after amass and findomain").
   */
  dependsOn?: string[];
  /** Attempts of a single-shot scan before a failure is final. Default 3. */
  maxAttempts?: number;
  /** A disabled scan does not run, and its queued tasks are cancelled. Default true. */
  enabled?: boolean;
  /** When it last launched work (informational, like Crossfeed's `lastRun`), epoch milliseconds. */
  lastRun?: number;
  /** When it was created, epoch milliseconds: a cron scan that never ran waits for its first time after this. */
  createdAt?: number;
}

function invalid(where: string, message: string): ScanplaneError {
  return new ScanplaneError('INVALID_ARGUMENT', `${where}: ${message}`, { details: { where } });
}

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '');

/**
 * Checks a scan definition and returns it unchanged, or throws saying which field is wrong and why.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` (`details.where` names the scan and field).
 * @example
 * ```ts
 * import { validateScanDefinition } from '@scanplane/core';
 * validateScanDefinition({ id: 'amass', type: 'amass', frequencySeconds: 86_400 });
 * ```
 */
export function validateScanDefinition(scan: ScanDefinition): ScanDefinition {
  if (typeof scan !== 'object' || scan === null) throw invalid('scan', 'a scan definition must be an object');
  if (typeof scan.id !== 'string' || scan.id === '') throw invalid('scan', "'id' must be a non-empty string");
  const at = (field: string): string => `scan ${scan.id}, ${field}`;
  if (typeof scan.type !== 'string' || scan.type === '')
    throw invalid(at('type'), 'must be a non-empty string');
  if ((scan.frequencySeconds === undefined) === (scan.cron === undefined)) {
    throw invalid(at('frequencySeconds/cron'), 'exactly one of frequencySeconds and cron must be set');
  }
  if (scan.frequencySeconds !== undefined && !isPositiveInteger(scan.frequencySeconds))
    throw invalid(at('frequencySeconds'), `must be a positive integer, got ${String(scan.frequencySeconds)}`);
  if (scan.cron !== undefined) {
    try {
      parseCron(scan.cron, scan.timezone);
    } catch (error) {
      throw invalid(at('cron'), (error as Error).message);
    }
  } else if (scan.timezone !== undefined) {
    throw invalid(at('timezone'), 'applies to cron schedules only');
  }
  if (scan.jitterSeconds !== undefined && !(Number.isInteger(scan.jitterSeconds) && scan.jitterSeconds >= 0))
    throw invalid(at('jitterSeconds'), `must be a non-negative integer, got ${String(scan.jitterSeconds)}`);
  if (scan.chunks !== undefined && !(isPositiveInteger(scan.chunks) && scan.chunks <= MAX_CHUNKS))
    throw invalid(at('chunks'), `must be an integer from 1 to ${MAX_CHUNKS}, got ${String(scan.chunks)}`);
  if (scan.organizationsPerTask !== undefined && !isPositiveInteger(scan.organizationsPerTask))
    throw invalid(
      at('organizationsPerTask'),
      `must be a positive integer, got ${String(scan.organizationsPerTask)}`,
    );
  if (scan.maxAttempts !== undefined && !isPositiveInteger(scan.maxAttempts))
    throw invalid(at('maxAttempts'), `must be a positive integer, got ${String(scan.maxAttempts)}`);
  if (scan.priority !== undefined && !Number.isFinite(scan.priority))
    throw invalid(at('priority'), `must be a finite number, got ${String(scan.priority)}`);
  if (scan.granular !== undefined) {
    if (typeof scan.granular !== 'object' || scan.granular === null)
      throw invalid(at('granular'), 'must be an object with organizations and/or tags');
    if (scan.granular.organizations !== undefined && !isStringList(scan.granular.organizations))
      throw invalid(at('granular.organizations'), 'must be a list of organization ids');
    if (scan.granular.tags !== undefined && !isStringList(scan.granular.tags))
      throw invalid(at('granular.tags'), 'must be a list of tags');
  }
  if (scan.dependsOn !== undefined) {
    if (!isStringList(scan.dependsOn)) throw invalid(at('dependsOn'), 'must be a list of scan ids');
    if (scan.dependsOn.includes(scan.id)) throw invalid(at('dependsOn'), 'a scan cannot depend on itself');
  }
  if (scan.resources !== undefined) {
    for (const key of ['cpu', 'memory'] as const) {
      const value = scan.resources[key];
      if (value !== undefined && !isPositiveInteger(value))
        throw invalid(at(`resources.${key}`), `must be a positive integer, got ${String(value)}`);
    }
  }
  if (
    scan.arguments !== undefined &&
    (typeof scan.arguments !== 'object' || scan.arguments === null || Array.isArray(scan.arguments))
  )
    throw invalid(at('arguments'), 'must be a JSON object');
  for (const key of ['manualRunRequestedAt', 'lastRun', 'createdAt'] as const) {
    const value = scan[key];
    if (value !== undefined && !Number.isFinite(value))
      throw invalid(at(key), `must be epoch milliseconds, got ${String(value)}`);
  }
  return scan;
}

/**
 * Checks an organization and returns it unchanged, or throws saying which field is wrong.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` (`details.where` names the organization and field).
 * @example
 * ```ts
 * import { validateOrganization } from '@scanplane/core';
 * validateOrganization({ id: 'acme', name: 'Acme', passive: false, tags: [] });
 * ```
 */
export function validateOrganization(organization: Organization): Organization {
  if (typeof organization !== 'object' || organization === null)
    throw invalid('organization', 'an organization must be an object');
  if (typeof organization.id !== 'string' || organization.id === '')
    throw invalid('organization', "'id' must be a non-empty string");
  const at = (field: string): string => `organization ${organization.id}, ${field}`;
  if (typeof organization.name !== 'string') throw invalid(at('name'), 'must be a string');
  if (typeof organization.passive !== 'boolean') throw invalid(at('passive'), 'must be true or false');
  if (!Array.isArray(organization.tags) || !organization.tags.every((tag) => typeof tag === 'string'))
    throw invalid(at('tags'), 'must be a list of strings');
  const scope = organization.scope;
  if (scope !== undefined) {
    if (scope.rootDomains !== undefined && !isStringList(scope.rootDomains))
      throw invalid(at('scope.rootDomains'), 'must be a list of domains');
    if (scope.ipBlocks !== undefined && !isStringList(scope.ipBlocks))
      throw invalid(at('scope.ipBlocks'), 'must be a list of address blocks');
  }
  return organization;
}
