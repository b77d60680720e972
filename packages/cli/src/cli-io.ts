/**
 * The streams a command talks to; the real process by default, replaceable in tests and embeddings.
 *
 * @example
 * ```ts
 * import { PassThrough } from 'node:stream';
 * import { runCli, type CliIO } from '@scanplane/cli';
 * const stdout = new PassThrough();
 * const io: Partial<CliIO> = { stdout };
 * await runCli(['plan', '192.0.2.0/30', '--output', 'count'], io);
 * ```
 */
export interface CliIO {
  /** Where output goes. */
  stdout: NodeJS.WritableStream;
  /** Where the summary, progress and errors go. */
  stderr: NodeJS.WritableStream;
  /** Where `-i -` reads from. */
  stdin: NodeJS.ReadableStream;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  stderrIsTTY: boolean;
}

/** @internal */
export function processIO(overrides: Partial<CliIO> = {}): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stderrIsTTY: process.stderr.isTTY === true,
    ...overrides,
  };
}
