import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built binary under test. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `scanplane` binary with `args`, feeding `stdin`, and collects its output. */
export function runCli(args: string[], options: { stdin?: string; cwd?: string } = {}): Promise<CliResult> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: build the CLI first (pnpm build at the repository root)`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** The last stderr line, parsed: the summary the CLI prints at the end. */
export function summaryOf(result: CliResult): Record<string, unknown> & {
  refusedEntries: Array<{ input: string; reason: string; message: string; source?: unknown }>;
} {
  const lines = result.stderr.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}

export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
