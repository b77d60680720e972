import { spawn } from 'node:child_process';
import { ScanplaneError } from '@scanplane/core';

/**
 * How to run one nmap process.
 *
 * @example
 * ```ts
 * import type { NmapProcessOptions } from './nmap-process.js';
 * const options: NmapProcessOptions = { binary: 'nmap', args: ['-sT', '-p', '22', '-oX', '-', '--', '127.0.0.1'] };
 * ```
 */
export interface NmapProcessOptions {
  /** The executable: a name looked up on `PATH`, or a path. */
  binary: string;
  /** The argument list, passed as is (no shell). */
  args: readonly string[];
  /** Aborting it stops the process: SIGTERM, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  /** Epoch milliseconds after which the process is stopped the same way and the run fails with TASK_TIMEOUT. */
  deadline?: number;
  /** Time between SIGTERM and SIGKILL. Default 2000 (as Falcoria's worker). */
  killGraceMs?: number;
  /** Most bytes of standard output kept; beyond it the process is stopped and the run fails. Default 32 MiB. */
  maxOutputBytes?: number;
  /** Called once the process has started, with its pid. */
  onStart?(pid: number): void;
  /** Called with each line nmap writes to standard error. */
  onStderrLine?(line: string): void;
}

/**
 * A process that exited by itself with status 0.
 *
 * @example
 * ```ts
 * import type { NmapProcessResult } from './nmap-process.js';
 * const xml = (result: NmapProcessResult) => result.stdout;
 * ```
 */
export interface NmapProcessResult {
  /** Its pid. */
  pid: number;
  /** Everything it wrote to standard output. */
  stdout: string;
  /** The last 4 KiB it wrote to standard error. */
  stderr: string;
  /** Wall-clock time from spawn to exit, in milliseconds. */
  elapsedMs: number;
}

const STDERR_TAIL = 4096;
const INSTALL_HINT =
  'install nmap (Debian/Ubuntu: apt-get install -y nmap) or pass its path as the binary option';

/**
 * Runs nmap (or any executable) without a shell and collects its output. The process is always gone when the
 * returned promise settles: on abort, deadline or oversized output it gets SIGTERM, then SIGKILL after the grace
 * period, and the promise settles only once it has exited.
 *
 * @throws {@link ScanplaneError} `UNAVAILABLE` when the executable is missing or not executable (saying how to
 *   install nmap); `ABORTED` when the signal aborted it; `TASK_TIMEOUT` when the deadline passed; `TASK_FAILED`
 *   on a non-zero exit, a death by a signal it was not sent, or output over the limit (with the exit code, signal
 *   and the tail of standard error in `details`).
 * @example
 * ```ts
 * import { runNmapProcess } from './nmap-process.js';
 * const { stdout } = await runNmapProcess({ binary: 'nmap', args: ['-sT', '-p', '22', '-oX', '-', '--', '127.0.0.1'] });
 * ```
 */
export function runNmapProcess(options: NmapProcessOptions): Promise<NmapProcessResult> {
  const { binary, signal } = options;
  const killGraceMs = options.killGraceMs ?? 2000;
  const maxOutputBytes = options.maxOutputBytes ?? 32 * 1024 * 1024;
  if (signal?.aborted) return Promise.reject(abortedError(binary, signal.reason, undefined));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, [...options.args], {
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let partial = '';
    let stop: ScanplaneError | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const details = (extra: Record<string, unknown> = {}) => ({
      binary,
      pid: child.pid,
      stderr: stderr.slice(-1024),
      ...extra,
    });
    const terminate = (why: ScanplaneError): void => {
      if (stop !== undefined) return;
      stop = why;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
    };
    const onAbort = (): void => terminate(abortedError(binary, signal?.reason, child.pid));
    const deadlineTimer =
      options.deadline === undefined
        ? undefined
        : setTimeout(
            () =>
              terminate(
                new ScanplaneError(
                  'TASK_TIMEOUT',
                  `${binary} (pid ${child.pid}) ran past the task's time limit`,
                  {
                    details: { binary, pid: child.pid },
                  },
                ),
              ),
            Math.max(0, options.deadline - Date.now()),
          );
    const finish = (): void => {
      settled = true;
      clearTimeout(killTimer);
      clearTimeout(deadlineTimer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('spawn', () => {
      if (child.pid !== undefined) options.onStart?.(child.pid);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxOutputBytes) chunks.push(chunk);
      else
        terminate(
          new ScanplaneError('TASK_FAILED', `${binary} wrote more than ${maxOutputBytes} bytes of output`, {
            details: { binary, pid: child.pid, maxOutputBytes },
          }),
        );
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onStderrLine?.(line.trimEnd());
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined || settled) return; // a running process: 'close' reports it
      finish();
      const missing = error.code === 'ENOENT' || error.code === 'EACCES';
      reject(
        new ScanplaneError(
          'UNAVAILABLE',
          missing
            ? `cannot run '${binary}' (${error.code}): ${INSTALL_HINT}`
            : `cannot start '${binary}': ${error.message}`,
          { cause: error, details: { binary, errno: error.code } },
        ),
      );
    });
    child.once('close', (code, exitSignal) => {
      if (settled) return;
      finish();
      if (partial.trim() !== '') options.onStderrLine?.(partial.trimEnd());
      const elapsedMs = Math.round(performance.now() - started);
      if (stop !== undefined) {
        reject(
          new ScanplaneError(stop.code, stop.message.replace(/^\[scanplane\] /, ''), {
            details: { ...stop.details, exitCode: code, signal: exitSignal, elapsedMs },
          }),
        );
      } else if (code !== 0) {
        const last = stderr.trim().split('\n').pop() ?? '';
        reject(
          new ScanplaneError(
            'TASK_FAILED',
            code === null
              ? `${binary} was killed by ${exitSignal}${last === '' ? '' : `: ${last}`}`
              : `${binary} exited with status ${code}${last === '' ? '' : `: ${last}`}`,
            { details: details({ exitCode: code, signal: exitSignal, elapsedMs }) },
          ),
        );
      } else {
        resolve({
          pid: child.pid as number,
          stdout: Buffer.concat(chunks).toString('utf8'),
          stderr,
          elapsedMs,
        });
      }
    });
  });
}

function abortedError(binary: string, reason: unknown, pid: number | undefined): ScanplaneError {
  const code =
    typeof reason === 'object' && reason !== null && typeof (reason as { code?: unknown }).code === 'string'
      ? (reason as { code: string }).code
      : undefined;
  return new ScanplaneError(
    'ABORTED',
    `${binary}${pid === undefined ? '' : ` (pid ${pid})`} was stopped: the task was aborted${code === undefined ? '' : ` (${code})`}`,
    { details: { binary, pid, ...(code === undefined ? {} : { reason: code }) } },
  );
}
