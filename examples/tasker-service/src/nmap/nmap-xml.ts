import { ScanplaneError } from '@scanplane/core';
import { parseStrictXml, type XmlElement } from './strict-xml.js';

/**
 * A service nmap named on a port: from its `nmap-services` table (`method: 'table'`, a guess from the port number)
 * or from service detection (`method: 'probed'`, `-sV`).
 *
 * @example
 * ```ts
 * import type { NmapService } from './nmap-xml.js';
 * const ssh: NmapService = { name: 'ssh', product: 'OpenSSH', version: '8.9p1', method: 'probed', confidence: 10, cpe: [] };
 * ```
 */
export interface NmapService {
  /** Service name (`ssh`, `http`, `tcpwrapped`, …). */
  name: string;
  /** Product name, when detected. */
  product?: string;
  /** Product version, when detected. */
  version?: string;
  /** Extra information (`protocol 2.0`, …). */
  extraInfo?: string;
  /** Operating system type, when the service revealed it. */
  osType?: string;
  /** Host name the service revealed. */
  hostname?: string;
  /** `ssl` when the service was found inside TLS. */
  tunnel?: string;
  /** How nmap named it: `table` (port-number guess) or `probed` (service detection). */
  method: 'table' | 'probed';
  /** nmap's confidence, 0 to 10. */
  confidence: number;
  /** CPE names of the product and platform. */
  cpe: string[];
}

/**
 * One port nmap reported.
 *
 * @example
 * ```ts
 * import type { NmapPort } from './nmap-xml.js';
 * const port: NmapPort = { protocol: 'tcp', port: 22, state: 'open', reason: 'syn-ack' };
 * ```
 */
export interface NmapPort {
  /** Transport protocol. */
  protocol: 'tcp' | 'udp' | 'sctp';
  /** Port number, 1 to 65535. */
  port: number;
  /** `open`, `closed`, `filtered`, `open|filtered`, `closed|filtered` or `unfiltered`. */
  state: string;
  /** Why nmap decided the state (`syn-ack`, `conn-refused`, …). */
  reason: string;
  /** The service, when nmap named one. */
  service?: NmapService;
}

/**
 * One host of an nmap run.
 *
 * @example
 * ```ts
 * import type { NmapHost } from './nmap-xml.js';
 * const openCount = (host: NmapHost) => host.ports.filter((port) => port.state === 'open').length;
 * ```
 */
export interface NmapHost {
  /** `up`, `down`, `unknown` or `skipped`. */
  state: string;
  /** Why nmap decided the state (`user-set` under `-Pn`). */
  reason: string;
  /** Addresses with their type (`ipv4`, `ipv6`, `mac`). */
  addresses: Array<{ address: string; type: string }>;
  /** Host names nmap knows (`user` for the one given, `PTR` from reverse DNS). */
  hostnames: Array<{ name: string; type: string }>;
  /** Ports listed one by one. */
  ports: NmapPort[];
  /** Ports summarised by state (`<extraports>`), e.g. `{ state: 'closed', count: 997 }`. */
  extraPorts: Array<{ state: string; count: number }>;
  /** Whether nmap gave up on the host at its `--host-timeout` (its ports are then missing). */
  timedOut: boolean;
}

/**
 * What one nmap run reported (`-oX`).
 *
 * @example
 * ```ts
 * import type { NmapRun } from './nmap-xml.js';
 * const succeeded = (run: NmapRun) => run.exit === 'success';
 * ```
 */
export interface NmapRun {
  /** nmap's version. */
  version: string;
  /** The command line as nmap records it. */
  args: string;
  /** The hosts, in output order. */
  hosts: NmapHost[];
  /** `success` or `error`, from `<runstats><finished exit=…>`. */
  exit: 'success' | 'error';
  /** nmap's error message when `exit` is `error`. */
  errorMessage?: string;
  /** Seconds the run took, as nmap measured it. */
  elapsedSeconds: number;
  /** Hosts found up, from `<runstats><hosts up=…>` (counted even when `--open` leaves a host out of `hosts`). */
  hostsUp: number;
  /** Hosts found down. */
  hostsDown: number;
}

/**
 * Parses nmap's XML output (`-oX -`) with a small strict parser ({@link parseStrictXml}) and reads the elements a
 * scan needs: the run's version, arguments and exit status, and per host its state, addresses, host names, ports
 * (protocol, number, state, reason) with their service (name, product, version, extra information, CPEs), the
 * `<extraports>` summaries and whether the host timed out. Output that is not well formed, not an `<nmaprun>`, or
 * missing a required attribute (a truncated run, typically after a kill) is refused.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` naming the element or attribute and what is wrong.
 * @example
 * ```ts
 * import { parseNmapXml } from './nmap-xml.js';
 * declare const stdout: string;
 * const run = parseNmapXml(stdout);
 * run.hosts[0]?.ports.filter((port) => port.state === 'open');
 * ```
 */
export function parseNmapXml(text: string): NmapRun {
  const root = parseStrictXml(text);
  if (root.name !== 'nmaprun') throw invalid(`the root element is <${root.name}>, not <nmaprun>`);
  const finished = child(child(root, 'runstats', 'nmaprun'), 'finished', 'runstats');
  const exit = required(finished, 'exit');
  if (exit !== 'success' && exit !== 'error')
    throw invalid(`<finished exit="${exit}"> is not success or error`);
  const counts = child(child(root, 'runstats', 'nmaprun'), 'hosts', 'runstats');
  const elapsedSeconds = Number(required(finished, 'elapsed'));
  if (!Number.isFinite(elapsedSeconds) || elapsedSeconds < 0)
    throw invalid(`<finished elapsed="${finished.attributes.elapsed}"> is not a duration`);
  const run: NmapRun = {
    version: required(root, 'version'),
    args: root.attributes.args ?? '',
    hosts: root.children.filter((element) => element.name === 'host').map(readHost),
    exit,
    elapsedSeconds,
    hostsUp: integer(counts, 'up', 0, 2 ** 32),
    hostsDown: integer(counts, 'down', 0, 2 ** 32),
  };
  if (finished.attributes.errormsg !== undefined) run.errorMessage = finished.attributes.errormsg;
  return run;
}

function readHost(host: XmlElement): NmapHost {
  const status = child(host, 'status', 'host');
  const ports = host.children.find((element) => element.name === 'ports');
  return {
    state: required(status, 'state'),
    reason: status.attributes.reason ?? '',
    addresses: host.children
      .filter((element) => element.name === 'address')
      .map((element) => ({ address: required(element, 'addr'), type: required(element, 'addrtype') })),
    hostnames: (host.children.find((element) => element.name === 'hostnames')?.children ?? [])
      .filter((element) => element.name === 'hostname')
      .map((element) => ({ name: required(element, 'name'), type: element.attributes.type ?? '' })),
    ports: (ports?.children ?? []).filter((element) => element.name === 'port').map(readPort),
    extraPorts: (ports?.children ?? [])
      .filter((element) => element.name === 'extraports')
      .map((element) => ({
        state: required(element, 'state'),
        count: integer(element, 'count', 0, 1 << 20),
      })),
    timedOut: host.attributes.timedout === 'true',
  };
}

function readPort(element: XmlElement): NmapPort {
  const protocol = required(element, 'protocol');
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp')
    throw invalid(`<port protocol="${protocol}"> is not tcp, udp or sctp`);
  const state = child(element, 'state', 'port');
  const port: NmapPort = {
    protocol,
    port: integer(element, 'portid', 1, 65535),
    state: required(state, 'state'),
    reason: state.attributes.reason ?? '',
  };
  const service = element.children.find((candidate) => candidate.name === 'service');
  if (service !== undefined) port.service = readService(service);
  return port;
}

function readService(element: XmlElement): NmapService {
  const method = required(element, 'method');
  if (method !== 'table' && method !== 'probed')
    throw invalid(`<service method="${method}"> is not table or probed`);
  const service: NmapService = {
    name: required(element, 'name'),
    method,
    confidence: integer(element, 'conf', 0, 10),
    cpe: element.children.filter((candidate) => candidate.name === 'cpe').map((cpe) => cpe.text.trim()),
  };
  const optional: Array<[keyof NmapService, string]> = [
    ['product', 'product'],
    ['version', 'version'],
    ['extraInfo', 'extrainfo'],
    ['osType', 'ostype'],
    ['hostname', 'hostname'],
    ['tunnel', 'tunnel'],
  ];
  for (const [key, attribute] of optional) {
    const value = element.attributes[attribute];
    if (value !== undefined && value !== '') (service as unknown as Record<string, string>)[key] = value;
  }
  return service;
}

function child(parent: XmlElement, name: string, where: string): XmlElement {
  const found = parent.children.find((element) => element.name === name);
  if (found === undefined) throw invalid(`<${where}> has no <${name}> (the output may be truncated)`);
  return found;
}

function required(element: XmlElement, attribute: string): string {
  const value = element.attributes[attribute];
  if (value === undefined) throw invalid(`<${element.name}> has no '${attribute}' attribute`);
  return value;
}

function integer(element: XmlElement, attribute: string, min: number, max: number): number {
  const text = required(element, attribute);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw invalid(`<${element.name} ${attribute}="${text}"> is not an integer from ${min} to ${max}`);
  return value;
}

function invalid(message: string): ScanplaneError {
  return new ScanplaneError('INVALID_ARGUMENT', `nmap XML: ${message}`, { details: { format: 'nmap-xml' } });
}
