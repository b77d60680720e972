/**
 * `@scanplane/cli`: the `scanplane` command line, also callable as a function.
 *
 * @example
 * ```ts
 * import { runCli } from '@scanplane/cli';
 * process.exitCode = await runCli(['plan', '192.0.2.0/30', '--output', 'ips']);
 * ```
 * @module
 */
export type { CliIO } from './cli-io.js';
export { runCli } from './main.js';
export { UsageError } from './usage-error.js';
