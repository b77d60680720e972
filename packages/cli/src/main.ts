import { isScanplaneError } from '@scanplane/core';
import { type CliIO, processIO } from './cli-io.js';
import { MIGRATE_USAGE, migrateCommand } from './commands/migrate.js';
import { PLAN_USAGE, planCommand } from './commands/plan.js';
import { SCAN_USAGE, scanCommand } from './commands/scan.js';
import { UsageError } from './usage-error.js';

const USAGE = `Usage: scanplane <command> [options]

Commands:
  plan      prepare targets and print the plan of scan tasks (scanplane plan --help)
  scan      scan targets with TCP connects, in this process, and print the open ports (scanplane scan --help)
  migrate   create or update scanplane's tables in PostgreSQL (scanplane migrate --help)

Run 'scanplane <command> --help' for a command's options.`;

const COMMANDS: Record<string, { run: (argv: string[], io: CliIO) => Promise<number>; usage: string }> = {
  migrate: { run: migrateCommand, usage: MIGRATE_USAGE },
  plan: { run: planCommand, usage: PLAN_USAGE },
  scan: { run: scanCommand, usage: SCAN_USAGE },
};

/** Errors in what the user gave us (a file, a scope entry, a port list): reported as usage errors (exit 2). */
const INPUT_CODES = new Set([
  'INVALID_ARGUMENT',
  'TARGET_INVALID',
  'TARGET_TOO_LARGE',
  'PORTS_INVALID',
  'NOT_FOUND',
]);

/**
 * Runs the scanplane command line with `argv` (without the node and script names) and returns the exit status:
 * 0 success, 1 a failure (or `--strict` refusals), 2 a usage error. Nothing is thrown.
 *
 * @example
 * ```ts
 * import { runCli } from '@scanplane/cli';
 * const status = await runCli(['plan', '192.0.2.0/30', '--ports', '80,443']);
 * process.exitCode = status;
 * ```
 */
export async function runCli(argv: string[], overrides: Partial<CliIO> = {}): Promise<number> {
  const io = processIO(overrides);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`scanplane: unknown command '${name}'\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`scanplane ${name}: ${error.message}\nRun 'scanplane ${name} --help' for usage.\n`);
      return 2;
    }
    if (isScanplaneError(error)) {
      const message = error.message.replace(/^\[scanplane\] /, '');
      io.stderr.write(`scanplane ${name}: ${error.code}: ${message}\n`);
      return INPUT_CODES.has(error.code) ? 2 : 1;
    }
    io.stderr.write(`scanplane ${name}: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
