import {
  createEmbedded,
  createTcpConnectScanner,
  isScanplaneError,
  type OpenPort,
  type ScanTask,
  type SubmitResult,
  type TaskHandler,
} from '@scanplane/core';
import type { CliIO } from '../cli-io.js';
import { LineWriter } from '../line-writer.js';
import { ProgressBar } from '../progress-bar.js';
import { UsageError } from '../usage-error.js';
import {
  integer,
  loadTargetFiles,
  PORTS_HELP,
  parseCommandLine,
  summaryLine,
  TARGET_OPTIONS,
  TARGET_OPTIONS_HELP,
  TARGETS_HELP,
  type TargetArguments,
  targetArguments,
  targetEntries,
} from './target-options.js';

/**
 * Usage text of `scanplane scan`.
 * @internal
 */
export const SCAN_USAGE = `Usage: scanplane scan [TARGET ...] [--ports SPEC] [options]

Scans targets with TCP connects, in this process: prepares them as 'scanplane plan' does (scope, resolution,
dedup), queues one task per address, runs the tasks on in-process workers and reports the open ports.
Scan only what you are allowed to scan.

${TARGETS_HELP}

${TARGET_OPTIONS_HELP}
Scan:
${PORTS_HELP}
                            (a TCP connect scan skips UDP and SCTP ports)
  --timeout MS              time to wait for one connection (default 1000)
  --concurrency N           tasks (addresses) each worker scans at once (default 16); a task makes up to
                            256 connections at once
  --workers N               in-process workers (default 1)
  --project NAME            the project the tasks belong to (default cli)
Output:
  --output FORMAT           table (open ports per target, then the counts; default) | jsonl (one line per
                            task as it ends: {"ip", "hostnames", "ports", "open": [{"port", "latencyMs"}], "status"})
  -h, --help                show this help

The submission summary is printed to stderr as one JSON line once the tasks are queued; while they run, a
progress bar is drawn on stderr when it is a terminal. Ctrl-C stops the scan (a second one exits at once).
Exit status: 0 every task finished (open ports or not), 1 a task failed, 2 usage error, 130 interrupted.`;

const OUTPUTS = ['table', 'jsonl'] as const;
type Output = (typeof OUTPUTS)[number];

const SCAN_OPTIONS = {
  ...TARGET_OPTIONS,
  timeout: { type: 'string' },
  concurrency: { type: 'string' },
  workers: { type: 'string' },
  output: { type: 'string', short: 'o' },
  project: { type: 'string' },
} as const;

interface ScanArguments extends TargetArguments {
  timeoutMs: number;
  concurrency: number;
  workers: number;
  output: Output;
  project: string;
}

/**
 * What tests may replace in {@link runScan}.
 * @internal
 */
export interface ScanOverrides {
  /** The task handler; default the TCP connect scanner with `--timeout`. */
  handler?: TaskHandler;
  /** Where SIGINT comes from; default the process. */
  signals?: NodeJS.EventEmitter;
}

/** @internal */
export function parseScanArguments(argv: string[]): ScanArguments {
  const parsed = parseCommandLine(argv, SCAN_OPTIONS);
  const v = parsed.values;
  const base = targetArguments(v, parsed.positionals);
  const output = (v.output ?? 'table') as Output;
  if (!OUTPUTS.includes(output)) {
    throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}; got '${v.output}'`);
  }
  if (base.ports.ranges('tcp').length === 0) {
    throw new UsageError(
      `--ports: '${base.ports.toString()}' has no TCP port, and a TCP connect scan skips UDP and SCTP ports`,
    );
  }
  const project = v.project ?? 'cli';
  if (project.trim() === '') throw new UsageError('--project must not be empty');
  return {
    ...base,
    timeoutMs: integer(v.timeout ?? '1000', '--timeout', 1),
    concurrency: integer(v.concurrency ?? '16', '--concurrency', 1),
    workers: integer(v.workers ?? '1', '--workers', 1),
    output,
    project,
  };
}

/**
 * Runs `scanplane scan` and returns its exit status.
 * @internal
 */
export function scanCommand(argv: string[], io: CliIO): Promise<number> {
  return runScan(argv, io);
}

/**
 * `scanplane scan` with replaceable parts: prepare and submit to the embedded orchestrator, wait for the tasks
 * (drawing progress, streaming JSON lines), then print the results.
 * @internal
 */
export async function runScan(argv: string[], io: CliIO, overrides: ScanOverrides = {}): Promise<number> {
  const args = parseScanArguments(argv);
  if (args.help) {
    io.stdout.write(`${SCAN_USAGE}\n`);
    return 0;
  }
  await loadTargetFiles(args, io);
  const skipped = [...args.ports.ranges('udp'), ...args.ports.ranges('sctp')].length;
  if (skipped > 0) {
    io.stderr.write(`scanplane scan: note: UDP and SCTP ports are skipped (a TCP connect scan)\n`);
  }

  const { project } = args;
  const out = new LineWriter(io.stdout);
  const signals = overrides.signals ?? process;
  const halt = new AbortController();
  let stopReason: 'interrupted' | 'output closed' | undefined;
  const stop = (reason: 'interrupted' | 'output closed'): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    halt.abort();
  };
  const onSigint = (): void => {
    if (stopReason === 'interrupted' && signals === process) {
      io.stderr.write('\nscanplane scan: interrupted again: exiting now\n');
      process.exit(130);
    }
    stop('interrupted');
  };

  const resolving = io.stderrIsTTY ? new ProgressBar(io.stderr, 'resolving') : undefined;
  const scanning = io.stderrIsTTY ? new ProgressBar(io.stderr, 'scanning ') : undefined;
  if (resolving) args.prepare.onProgress = ({ done, total }) => resolving.update(done, total);
  const counts = { finished: 0, failed: 0, cancelled: 0 };
  let total: number | undefined;
  const draw = (): void => {
    if (total !== undefined) scanning?.update(counts.finished + counts.failed + counts.cancelled, total);
  };
  let writes = Promise.resolve();
  const ended = (task: ScanTask): void => {
    if (task.project !== project) return;
    if (task.status === 'finished' || task.status === 'failed' || task.status === 'cancelled')
      counts[task.status]++;
    if (args.output === 'jsonl' && task.status !== 'cancelled') {
      const line = JSON.stringify(jsonRecord(task));
      writes = writes.then(async () => {
        scanning?.clear();
        await out.line(line);
        await out.flush();
        if (out.closed) stop('output closed');
      });
    }
    draw();
  };

  const embedded = createEmbedded({
    workers: args.workers,
    concurrency: args.concurrency,
    handler: overrides.handler ?? createTcpConnectScanner({ timeoutMs: args.timeoutMs }),
  });
  const { orchestrator, store } = embedded;
  orchestrator.events.on('task:finished', ended);
  orchestrator.events.on('task:failed', ended);
  orchestrator.events.on('task:cancelled', ended);
  orchestrator.events.on('error', (error) => {
    io.stderr.write(`scanplane scan: warning: ${error.message}\n`);
  });
  signals.on('SIGINT', onSigint);
  let submitted: SubmitResult | undefined;
  try {
    try {
      submitted = await orchestrator.submit(project, targetEntries(args, io), {
        ...args.prepare,
        ports: args.ports,
        signal: halt.signal,
      });
    } catch (error) {
      if (!(stopReason !== undefined && isScanplaneError(error) && error.code === 'ABORTED')) throw error;
    } finally {
      resolving?.clear();
    }
    if (submitted !== undefined) {
      io.stderr.write(`${summaryLine(submitted.summary, submitted.prepared)}\n`);
      total = submitted.taskIds.length;
      draw();
      await orchestrator.waitForIdle(project, { signal: halt.signal });
    }
    if (stopReason !== undefined) {
      const stopped = await orchestrator.stop(project, `scanplane scan: ${stopReason}`);
      if (stopReason === 'interrupted') {
        scanning?.clear();
        io.stderr.write(
          `scanplane scan: interrupted: stopped the scan` +
            ` (${stopped.cancelled} task${stopped.cancelled === 1 ? '' : 's'} cancelled)\n`,
        );
      }
    }
  } finally {
    await embedded.close();
    signals.off('SIGINT', onSigint);
    await writes;
    scanning?.clear();
  }

  const tasks = submitted === undefined ? [] : await tasksInPlanOrder(submitted, store);
  counts.finished = tasks.filter((task) => task.status === 'finished').length;
  counts.failed = tasks.filter((task) => task.status === 'failed').length;
  counts.cancelled = tasks.filter((task) => task.status === 'cancelled').length;
  if (args.output === 'table' && stopReason !== 'output closed') {
    for (const line of resultTable(tasks, counts, submitted === undefined, stopReason === 'interrupted'))
      await out.line(line);
  }
  await out.flush();
  reportFailures(tasks, io);
  const probeErrors = tasks.reduce((sum, task) => sum + (scanResultOf(task)?.errors ?? 0), 0);
  if (probeErrors > 0) {
    io.stderr.write(
      `scanplane scan: warning: ${probeErrors} connection attempt${probeErrors === 1 ? '' : 's'} failed for a ` +
        'reason other than refused or timed out (such as too many open files): those ports are neither open nor ' +
        'closed in the results; try a lower --concurrency\n',
    );
  }
  if (stopReason === 'interrupted') return 130;
  if (stopReason === 'output closed') return 0;
  return counts.failed > 0 || counts.finished !== tasks.length ? 1 : 0;
}

/** What the TCP connect scanner returned for a finished task (nothing for another handler's result). */
function scanResultOf(task: ScanTask): { open: OpenPort[]; errors?: number } | undefined {
  if (task.status !== 'finished') return undefined;
  const result = task.result as { open?: unknown; errors?: unknown } | undefined;
  if (result === undefined || result === null || !Array.isArray(result.open)) return undefined;
  return {
    open: result.open as OpenPort[],
    ...(typeof result.errors === 'number' ? { errors: result.errors } : {}),
  };
}

function jsonRecord(task: ScanTask): Record<string, unknown> {
  const target = task.target;
  const open = (scanResultOf(task)?.open ?? []).map(({ port, latencyMs }) => ({ port, latencyMs }));
  return {
    ...(target?.ip === undefined ? { addresses: target?.addresses ?? [] } : { ip: target.ip }),
    hostnames: target?.hostnames ?? [],
    ports: target?.ports ?? '',
    open,
    status: task.status,
    ...(task.error === undefined ? {} : { error: { code: task.error.code, message: task.error.message } }),
  };
}

async function tasksInPlanOrder(
  submitted: SubmitResult,
  store: { list(query: { project: string }): Promise<ScanTask[]> },
): Promise<ScanTask[]> {
  const byId = new Map((await store.list({ project: submitted.project })).map((task) => [task.id, task]));
  return submitted.taskIds.flatMap((id) => byId.get(id) ?? []);
}

/** The table of targets with open ports, then the counts. */
function resultTable(
  tasks: readonly ScanTask[],
  counts: { finished: number; failed: number; cancelled: number },
  notSubmitted: boolean,
  interrupted: boolean,
): string[] {
  const rows: string[][] = [];
  let openPorts = 0;
  for (const task of tasks) {
    const open = scanResultOf(task)?.open ?? [];
    const byAddress = new Map<string, OpenPort[]>();
    for (const port of open) byAddress.set(port.address, [...(byAddress.get(port.address) ?? []), port]);
    for (const [address, ports] of byAddress) {
      openPorts += ports.length;
      rows.push([
        address,
        task.target?.hostnames.join(', ') || '-',
        [...ports]
          .sort((a, b) => a.port - b.port)
          .map(({ port, latencyMs }) => `${port} (${latencyMs.toFixed(1)} ms)`)
          .join(', '),
      ]);
    }
  }
  const lines: string[] = [];
  if (notSubmitted) lines.push('Nothing was scanned.');
  else if (tasks.length === 0)
    lines.push('Nothing to scan: no address was accepted (see the summary on stderr).');
  else if (rows.length === 0)
    lines.push(interrupted ? 'No open ports found before the interruption.' : 'No open ports found.');
  else lines.push(...alignedTable(['TARGET', 'HOSTNAMES', 'OPEN PORTS (CONNECT TIME)'], rows));
  const addresses = new Set(rows.map((row) => row[0])).size;
  lines.push(
    '',
    `tasks: ${counts.finished} finished, ${counts.failed} failed` +
      (counts.cancelled > 0 ? `, ${counts.cancelled} cancelled` : '') +
      ` (of ${tasks.length}); open ports: ${openPorts} on ${addresses} of ${tasks.length} target${tasks.length === 1 ? '' : 's'}`,
  );
  return lines;
}

function alignedTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function reportFailures(tasks: readonly ScanTask[], io: CliIO): void {
  const failed = tasks.filter((task) => task.status === 'failed');
  const shown = 20;
  for (const task of failed.slice(0, shown)) {
    const target = task.target?.ip ?? task.target?.addresses.join(' ') ?? task.id;
    io.stderr.write(
      `scanplane scan: ${target} failed: ${task.error?.code ?? 'UNKNOWN'}: ${task.error?.message ?? ''}\n`,
    );
  }
  if (failed.length > shown) io.stderr.write(`scanplane scan: … and ${failed.length - shown} more failed\n`);
}
