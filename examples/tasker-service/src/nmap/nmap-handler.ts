import {
  isScanplaneError,
  ScanplaneError,
  type ScanTask,
  type TaskContext,
  type TaskHandler,
} from '@scanplane/core';
import {
  buildNmapCommand,
  type NmapLimits,
  type NmapScanOptions,
  resolveNmapLimits,
  resolveNmapOptions,
} from './nmap-options.js';
import { runNmapProcess } from './nmap-process.js';
import {
  mergeServices,
  type NmapPhaseReport,
  type NmapScanResult,
  openPortSet,
  readDiscovery,
} from './nmap-result.js';
import { type NmapHost, type NmapRun, parseNmapXml } from './nmap-xml.js';

/**
 * Options of {@link createNmapHandler}.
 *
 * @example
 * ```ts
 * import type { NmapHandlerOptions } from './nmap-handler.js';
 * const options: NmapHandlerOptions = { binary: '/usr/bin/nmap', defaults: { timing: 4 }, limits: { maxRate: 5000 } };
 * ```
 */
export interface NmapHandlerOptions {
  /** The nmap executable: a name looked up on `PATH` or a path. Default `nmap`. */
  binary?: string;
  /** Scan options for every task; a task's `payload.nmap` overrides them one by one. */
  defaults?: NmapScanOptions;
  /** What tasks may ask for (privileged scans, most ports, highest rate, longest host timeout). */
  limits?: NmapLimits;
  /** Time between SIGTERM and SIGKILL when a scan is stopped, in milliseconds. Default 2000. */
  killGraceMs?: number;
  /** Most bytes of XML one nmap run may write. Default 32 MiB. */
  maxOutputBytes?: number;
}

/**
 * Falcoria Tasker's two-phase nmap scan as a scanplane task handler (task kind `nmap`). A task names one IP
 * (`target.ip`, or a single-address `target.addresses`) and its ports (`target.ports`); `payload.nmap` may carry
 * {@link NmapScanOptions}, validated against the handler's limits (unknown keys refused).
 *
 * 1. Phase 1 finds the open ports over the task's ports: a connect scan (`-sT`) by default, `--open`, `-oX -`.
 * 2. Phase 2 runs service detection (`-sV`) on those open ports only; it is skipped when none is open (or when
 *    `serviceDetection` is false).
 *
 * nmap runs without a shell, from an argument list built by {@link buildNmapCommand}. The task's signal (cancel,
 * stop, time limit, shutdown) stops the running nmap — SIGTERM, then SIGKILL after `killGraceMs` — and the handler
 * settles only once it has exited; the task's `timeouts.runMs` bounds both phases together (Falcoria's worker
 * allowed the timeout per phase). The result is a {@link NmapScanResult}.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` for bad handler options (at creation) or task options;
 *   `INVALID_COMMAND` for a task without one address; `UNAVAILABLE` when nmap is not installed; `ABORTED` when
 *   aborted; `TASK_TIMEOUT` past the time limit; `TIMEOUT` when nmap gave up at its `--host-timeout`;
 *   `TASK_FAILED` when nmap fails or its output cannot be read.
 * @example
 * ```ts
 * import { createEmbedded } from '@scanplane/core';
 * import { createNmapHandler } from './nmap-handler.js';
 * const embedded = createEmbedded({ handler: createNmapHandler({ defaults: { timing: 4, versionIntensity: 2 } }) });
 * await embedded.orchestrator.submit('lab', ['127.0.0.1'], { ports: '22,80', kind: 'nmap' });
 * ```
 */
export function createNmapHandler(options: NmapHandlerOptions = {}): TaskHandler {
  const binary = options.binary ?? 'nmap';
  if (typeof binary !== 'string' || binary.trim() === '' || /[\p{Cc}]/u.test(binary))
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `nmap binary must be a non-empty path or name, got ${String(binary)}`,
    );
  const killGraceMs = positive('killGraceMs', options.killGraceMs ?? 2000, 60_000);
  const maxOutputBytes = positive('maxOutputBytes', options.maxOutputBytes ?? 32 * 1024 * 1024, 2 ** 30);
  const limits = resolveNmapLimits(options.limits);
  const defaults = options.defaults ?? {};
  // Fail at creation, not on the first task, when the defaults themselves are out of bounds.
  resolveNmapOptions({}, { defaults, limits });

  return async (task: ScanTask, context: TaskContext): Promise<NmapScanResult> => {
    const command = buildNmapCommand({
      target: taskAddress(task),
      ports: task.target?.ports,
      options: taskOptions(task),
      defaults,
      limits,
      source: `task ${task.id} payload.nmap`,
    });
    const address = command.target.address;
    const deadline = Date.now() + task.timeouts.runMs;
    const run = async (phase: string, argv: string[]): Promise<{ report: NmapPhaseReport; xml: NmapRun }> => {
      if (Date.now() >= deadline)
        throw new ScanplaneError(
          'TASK_TIMEOUT',
          `nmap ${phase} of ${address} not started: the task's time limit passed`,
          {
            details: { phase, address },
          },
        );
      const child = await runNmapProcess({
        binary,
        args: argv,
        signal: context.signal,
        deadline,
        killGraceMs,
        maxOutputBytes,
        onStart: (pid) => context.log(`nmap ${phase}: pid ${pid}: ${binary} ${argv.join(' ')}`),
        onStderrLine: (line) => context.log(`nmap ${phase}: ${line}`),
      });
      const xml = readXml(child.stdout, phase, binary);
      context.log(`nmap ${phase}: done in ${child.elapsedMs} ms`);
      return { report: { argv, elapsedMs: child.elapsedMs }, xml };
    };

    const discovery = await run('discovery', command.discoveryArgs);
    const host = findHost(discovery.xml, address, command.options.hostTimeoutMs);
    const found = host === undefined ? undefined : readDiscovery(host, address);
    const open = found?.open ?? [];
    const result: NmapScanResult = {
      scanner: 'nmap',
      nmapVersion: discovery.xml.version,
      address,
      hostnames: [...(task.target?.hostnames ?? [])],
      // With --open and nothing open, nmap leaves the host out: its run statistics still count it.
      hostState: host?.state ?? (discovery.xml.hostsUp > 0 ? 'up' : 'down'),
      open,
      notOpen: command.ports.size - open.length,
      ports: command.ports.size,
      phases: { discovery: discovery.report, services: { skipped: 'no-open-ports' } },
    };
    if (found !== undefined) {
      result.closed = found.closed;
      result.filtered = found.filtered;
    }
    if (!command.options.serviceDetection) result.phases.services = { skipped: 'disabled' };
    else if (open.length > 0) {
      // Falcoria's stop could land between the phases; here the signal is checked before phase 2 starts.
      if (context.signal.aborted)
        throw new ScanplaneError('ABORTED', `nmap scan of ${address} aborted after phase 1`, {
          details: { address },
        });
      const services = await run('services', command.serviceArgs(openPortSet(open)));
      result.open = mergeServices(open, findHost(services.xml, address, command.options.hostTimeoutMs));
      result.phases.services = services.report;
    }
    return result;
  };
}

function positive(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max)
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `nmap handler option '${name}' must be an integer from 1 to ${max}`,
      {
        details: { option: name, min: 1, max },
      },
    );
  return value;
}

/** The one address of a task: `target.ip`, or its only address when `target.addresses` is a single /32 or /128. */
function taskAddress(task: ScanTask): string {
  const target = task.target;
  if (target === undefined)
    throw new ScanplaneError('INVALID_COMMAND', `task ${task.id} has no target to scan`, {
      details: { taskId: task.id },
    });
  if (target.ip !== undefined) return target.ip;
  const only = target.addresses.length === 1 ? /^(.+)\/(32|128)$/.exec(target.addresses[0] as string) : null;
  if (only === null) {
    throw new ScanplaneError(
      'INVALID_COMMAND',
      `task ${task.id} covers ${target.addresses.join(', ') || 'no address'}; the nmap handler scans one IP per task (plan one task per IP)`,
      { details: { taskId: task.id, addresses: target.addresses } },
    );
  }
  return only[1] as string;
}

function taskOptions(task: ScanTask): unknown {
  return task.payload?.nmap ?? {};
}

function readXml(stdout: string, phase: string, binary: string): NmapRun {
  let run: NmapRun;
  try {
    run = parseNmapXml(stdout);
  } catch (error) {
    throw new ScanplaneError(
      'TASK_FAILED',
      `nmap ${phase}: cannot read the XML output of ${binary}: ${isScanplaneError(error) ? error.message.replace(/^\[scanplane\] /, '') : String(error)}`,
      { cause: error, details: { phase, bytes: stdout.length } },
    );
  }
  if (run.exit !== 'success') {
    throw new ScanplaneError(
      'TASK_FAILED',
      `nmap ${phase} failed: ${run.errorMessage ?? 'no error message'}`,
      {
        details: { phase, nmapArgs: run.args },
      },
    );
  }
  return run;
}

function findHost(run: NmapRun, address: string, hostTimeoutMs: number | undefined): NmapHost | undefined {
  // nmap prints the address it was given; a run of one host is that host whatever its spelling.
  const host =
    run.hosts.find((candidate) => candidate.addresses.some((entry) => entry.address === address)) ??
    (run.hosts.length === 1 ? run.hosts[0] : undefined);
  if (host?.timedOut) {
    throw new ScanplaneError(
      'TIMEOUT',
      `nmap gave up on ${address} at its host timeout (${hostTimeoutMs ?? '?'} ms): raise hostTimeoutMs or scan fewer ports`,
      { retryable: false, details: { address, hostTimeoutMs } },
    );
  }
  return host;
}
