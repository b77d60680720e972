import { PortSet, type Protocol } from '@scanplane/core';
import type { NmapHost, NmapService } from './nmap-xml.js';

/**
 * One open port (the TCP connect scanner's `OpenPort`, with the protocol, nmap's reason and the service).
 *
 * @example
 * ```ts
 * import type { NmapOpenPort } from './nmap-result.js';
 * const port: NmapOpenPort = { address: '127.0.0.1', port: 22, protocol: 'tcp', state: 'open', reason: 'syn-ack' };
 * ```
 */
export interface NmapOpenPort {
  /** The address scanned. */
  address: string;
  /** The port number. */
  port: number;
  /** Its protocol. */
  protocol: Protocol;
  /** `open`, or `open|filtered` (UDP ports that did not answer). */
  state: string;
  /** Why phase 1 found it open (`syn-ack`, …). */
  reason: string;
  /** What phase 2 identified (or, without phase 2, nmap's port-number guess with `method: 'table'`). */
  service?: NmapService;
}

/**
 * One nmap run of a scan: its argument list as spawned and how long it took.
 *
 * @example
 * ```ts
 * import type { NmapPhaseReport } from './nmap-result.js';
 * const ports = (phase: NmapPhaseReport) => phase.argv[phase.argv.indexOf('-p') + 1];
 * ```
 */
export interface NmapPhaseReport {
  /** The arguments nmap was given (without the binary). */
  argv: string[];
  /** Wall-clock time, in milliseconds. */
  elapsedMs: number;
}

/**
 * The result of a two-phase nmap task (JSON). It mirrors the TCP connect scanner's result — `open`, `closed`,
 * `filtered` — and adds the services and a record of both phases.
 *
 * @example
 * ```ts
 * import type { NmapScanResult } from './nmap-result.js';
 * const products = (result: NmapScanResult) => result.open.map((port) => port.service?.product);
 * ```
 */
export interface NmapScanResult {
  /** Always `nmap`. */
  scanner: 'nmap';
  /** nmap's version. */
  nmapVersion: string;
  /** The address scanned. */
  address: string;
  /** The task's host names (as Falcoria's worker injects them into the report). */
  hostnames: string[];
  /** `up` or `down` (with `skipHostDiscovery`, the default, the host always counts as up). */
  hostState: string;
  /** Open ports with their services, in port order. */
  open: NmapOpenPort[];
  /**
   * Ports phase 1 found closed. Absent when nmap did not say: with `--open` and no open port, nmap leaves the
   * host out of its output altogether (then `notOpen` is all there is to know).
   */
  closed?: number;
  /** Ports phase 1 found filtered (no answer); absent when nmap did not say (see `closed`). */
  filtered?: number;
  /** Ports phase 1 scanned that are not open: `ports - open.length`. */
  notOpen: number;
  /** (Protocol, port) pairs phase 1 scanned. */
  ports: number;
  /** What ran. */
  phases: {
    /** Phase 1: open ports. */
    discovery: NmapPhaseReport;
    /** Phase 2: service detection, or why it did not run. */
    services: NmapPhaseReport | { skipped: 'disabled' | 'no-open-ports' };
  };
}

/**
 * Reads phase 1's host: its open ports (and `open|filtered`, which service detection can settle) and the counts of
 * closed and filtered ports, listed or summarised in `<extraports>`.
 * @internal
 */
export function readDiscovery(
  host: NmapHost,
  address: string,
): { open: NmapOpenPort[]; closed: number; filtered: number } {
  const open: NmapOpenPort[] = [];
  let closed = 0;
  let filtered = 0;
  const count = (state: string, n: number): void => {
    if (state === 'closed') closed += n;
    else if (state.includes('filtered')) filtered += n;
  };
  for (const port of host.ports) {
    if (port.state === 'open' || port.state === 'open|filtered') {
      const entry: NmapOpenPort = {
        address,
        port: port.port,
        protocol: port.protocol,
        state: port.state,
        reason: port.reason,
      };
      if (port.service !== undefined) entry.service = port.service;
      open.push(entry);
    } else count(port.state, 1);
  }
  for (const extra of host.extraPorts) count(extra.state, extra.count);
  open.sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port);
  return { open, closed, filtered };
}

/**
 * The open ports as a port set, for phase 2's `-p`.
 * @internal
 */
export function openPortSet(open: readonly NmapOpenPort[]): PortSet {
  const ranges: Record<Protocol, Array<[number, number]>> = { tcp: [], udp: [], sctp: [] };
  for (const port of open) ranges[port.protocol].push([port.port, port.port]);
  return PortSet.fromRanges(ranges);
}

/**
 * Puts phase 2's services on phase 1's open ports (a port phase 2 did not report keeps phase 1's guess).
 * @internal
 */
export function mergeServices(open: NmapOpenPort[], services: NmapHost | undefined): NmapOpenPort[] {
  if (services === undefined) return open;
  const found = new Map(services.ports.map((port) => [`${port.protocol}/${port.port}`, port.service]));
  return open.map((port) => {
    const service = found.get(`${port.protocol}/${port.port}`);
    return service === undefined ? port : { ...port, service };
  });
}
