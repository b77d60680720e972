import { connect } from 'node:net';
import { ScanplaneError } from '../errors/scanplane-error.js';
import { PortSet } from '../plan/port-set.js';
import { AddressSet } from '../targets/address-set.js';
import { formatIpv4 } from '../targets/ipv4.js';
import { formatIpv6 } from '../targets/ipv6.js';
import type { TaskHandler } from '../worker/task-handler.js';

/**
 * Options of the TCP connect scanner.
 *
 * @example
 * ```ts
 * import type { TcpScanOptions } from '@scanplane/core';
 * const options: TcpScanOptions = { timeoutMs: 500, concurrency: 128 };
 * ```
 */
export interface TcpScanOptions {
  /** Time to wait for one connection, in milliseconds. Default 1000. */
  timeoutMs?: number;
  /** Connections in flight at once. Default 256. */
  concurrency?: number;
  /** Largest number of probes (addresses × TCP ports) one scan may make. Default 2^20. */
  maxProbes?: number;
}

/**
 * One open port.
 *
 * @example
 * ```ts
 * import type { OpenPort } from '@scanplane/core';
 * const open: OpenPort = { address: '127.0.0.1', port: 22, latencyMs: 0.4 };
 * ```
 */
export interface OpenPort {
  /** The address probed, as text (`192.0.2.7`, `2001:db8::1`). */
  address: string;
  /** The TCP port that accepted the connection. */
  port: number;
  /** Time to connect, in milliseconds. */
  latencyMs: number;
}

/**
 * What a TCP connect scan found. Closed means the connection was refused; filtered means no answer within the
 * timeout (or the network was unreachable).
 *
 * @example
 * ```ts
 * import type { TcpScanResult } from '@scanplane/core';
 * const openCount = (result: TcpScanResult) => result.open.length;
 * ```
 */
export interface TcpScanResult {
  /** Open ports, in probe order. */
  open: OpenPort[];
  /** Probes refused (connection refused or reset). */
  closed: number;
  /** Probes unanswered within the timeout, or to an unreachable host or network. */
  filtered: number;
  /** Probes that failed for another reason. */
  errors: number;
  /** Probes made. */
  probes: number;
  /** Ports of the task that a TCP connect scan does not cover. */
  skipped: {
    /** UDP ports in the task's port set. */
    udp: number;
    /** SCTP ports in the task's port set. */
    sctp: number;
  };
}

type ProbeOutcome = { kind: 'open'; latencyMs: number } | { kind: 'closed' | 'filtered' | 'error' };

function probe(
  host: string,
  port: number,
  timeoutMs: number,
  sockets: Set<ReturnType<typeof connect>>,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const socket = connect({ host, port, noDelay: true });
    sockets.add(socket);
    let settled = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sockets.delete(socket);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'filtered' }), timeoutMs);
    socket.once('connect', () =>
      finish({ kind: 'open', latencyMs: Number(process.hrtime.bigint() - started) / 1e6 }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET') finish({ kind: 'closed' });
      else if (
        code === 'ETIMEDOUT' ||
        code === 'EHOSTUNREACH' ||
        code === 'ENETUNREACH' ||
        code === 'EHOSTDOWN'
      ) {
        finish({ kind: 'filtered' });
      } else finish({ kind: 'error' });
    });
    socket.once('close', () => finish({ kind: 'error' }));
  });
}

/**
 * Scans `addresses × TCP ports` with full TCP connects (`node:net`), lazily (no list of probes is built), with a
 * per-connection timeout and a concurrency limit. It only ever connects to the addresses given. UDP and SCTP ports
 * are counted as skipped. Aborting the signal stops new probes, closes open sockets and rejects with `ABORTED`.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` when the scan is over `maxProbes`, `ABORTED` when aborted.
 * @example
 * ```ts
 * import { AddressSet, PortSet, scanTcp } from '@scanplane/core';
 * const result = await scanTcp(AddressSet.parse(['127.0.0.1']), PortSet.parse('22,80,443'), { timeoutMs: 300 });
 * result.open; // e.g. [{ address: '127.0.0.1', port: 22, latencyMs: 0.3 }]
 * ```
 */
export async function scanTcp(
  addresses: AddressSet,
  ports: PortSet,
  options: TcpScanOptions & { signal?: AbortSignal } = {},
): Promise<TcpScanResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const concurrency = Math.max(1, options.concurrency ?? 256);
  const maxProbes = options.maxProbes ?? 1 << 20;
  const tcp = ports.ranges('tcp');
  const tcpCount = tcp.reduce((sum, [a, b]) => sum + (b - a + 1), 0);
  const probes = addresses.size * BigInt(tcpCount);
  if (probes > BigInt(maxProbes)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `a TCP connect scan of ${addresses.size} addresses × ${tcpCount} ports is ${probes} probes, above the limit of ${maxProbes}`,
      { details: { probes: probes.toString(), maxProbes } },
    );
  }
  const result: TcpScanResult = {
    open: [],
    closed: 0,
    filtered: 0,
    errors: 0,
    probes: 0,
    skipped: {
      udp: ports.ranges('udp').length === 0 ? 0 : PortSet.fromRanges({ udp: ports.ranges('udp') }).size,
      sctp: ports.ranges('sctp').length === 0 ? 0 : PortSet.fromRanges({ sctp: ports.ranges('sctp') }).size,
    },
  };
  const signal = options.signal;
  const sockets = new Set<ReturnType<typeof connect>>();
  // Lazy walk over (address, port) pairs.
  function* pairs(): Generator<[string, number]> {
    for (const chunk of addresses.chunks({ size: 1024 })) {
      for (const value of chunk.values) {
        const host = chunk.family === 4 ? formatIpv4(value as number) : formatIpv6(value as bigint);
        for (const [first, last] of tcp) for (let port = first; port <= last; port++) yield [host, port];
      }
    }
  }
  const iterator = pairs();
  const onAbort = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const lane = async (): Promise<void> => {
      for (;;) {
        if (signal?.aborted) return;
        const next = iterator.next();
        if (next.done) return;
        const [host, port] = next.value;
        const outcome = await probe(host, port, timeoutMs, sockets);
        if (signal?.aborted) return;
        result.probes++;
        if (outcome.kind === 'open')
          result.open.push({ address: host, port, latencyMs: Math.round(outcome.latencyMs * 1000) / 1000 });
        else if (outcome.kind === 'closed') result.closed++;
        else if (outcome.kind === 'filtered') result.filtered++;
        else result.errors++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Number(probes) || 1) }, lane));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) {
    throw new ScanplaneError('ABORTED', `TCP connect scan aborted after ${result.probes} probes`, {
      details: { probes: result.probes },
    });
  }
  return result;
}

/**
 * The built-in task handler: a TCP connect scan of the task's target (its addresses × its TCP ports). Aborting the
 * task's signal closes its open sockets, except for a task of a single probe (one address, one TCP port), which
 * runs to its end — at most `timeoutMs` — before the worker records the abort.
 *
 * @example
 * ```ts
 * import { createEmbedded, createTcpConnectScanner } from '@scanplane/core';
 * const embedded = createEmbedded({ handler: createTcpConnectScanner({ timeoutMs: 500 }) });
 * ```
 */
export function createTcpConnectScanner(options: TcpScanOptions = {}): TaskHandler {
  return async (task, context) => {
    if (task.target === undefined) {
      throw new ScanplaneError('INVALID_COMMAND', `task ${task.id} has no target to scan`, {
        details: { taskId: task.id },
      });
    }
    const addresses = AddressSet.parse(task.target.addresses);
    const ports = PortSet.parse(task.target.ports);
    // One probe ends within its connection timeout anyway: it is not worth an abort listener (on Node 20 the
    // signal and its listener cost more than a refused loopback connect). An abort meanwhile still ends the task:
    // the worker records the cancel or time limit, not this result.
    if (addresses.size === 1n && ports.size === 1 && ports.ranges('tcp').length === 1)
      return scanTcp(addresses, ports, options);
    return scanTcp(addresses, ports, { ...options, signal: context.signal });
  };
}
