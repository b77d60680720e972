import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isScanplaneError, type ScanplaneError } from '@scanplane/core';
import { describe, expect, it } from 'vitest';
import { type NmapProcessOptions, runNmapProcess } from '../src/nmap/nmap-process.js';

/**
 * The process runner is generic: these tests give it small Node.js scripts that misbehave on purpose (ignore
 * SIGTERM, flood stdout, fail), which real nmap does not do on demand. The nmap tests run the real nmap.
 */
function script(source: string): Pick<NmapProcessOptions, 'binary' | 'args'> {
  return { binary: process.execPath, args: ['-e', source] };
}

async function failure(options: NmapProcessOptions): Promise<ScanplaneError> {
  try {
    await runNmapProcess(options);
  } catch (error) {
    if (isScanplaneError(error)) return error;
    throw error;
  }
  throw new Error('expected the run to fail');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runNmapProcess', () => {
  it('runs without a shell: arguments reach the process exactly as given', async () => {
    const args = ['$(id)', '; rm -rf /', '`id`', 'a b', '*'];
    const { stdout } = await runNmapProcess({
      binary: process.execPath,
      args: ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...args],
    });
    expect(JSON.parse(stdout)).toEqual(args);
  });

  it('escalates to SIGKILL when the process ignores SIGTERM, and settles only after it is gone', async () => {
    const controller = new AbortController();
    let pid = 0;
    const error = await failure({
      ...script(
        "process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\\n')); process.stderr.write('ready\\n'); setInterval(() => {}, 1000);",
      ),
      signal: controller.signal,
      killGraceMs: 300,
      onStart: (started) => {
        pid = started;
      },
      onStderrLine: (line) => {
        if (line === 'ready') controller.abort();
      },
    });
    expect(error.code).toBe('ABORTED');
    expect(error.details).toMatchObject({ signal: 'SIGKILL', exitCode: null });
    expect(alive(pid)).toBe(false);
  });

  it('a process that honours SIGTERM ends with it', async () => {
    const controller = new AbortController();
    const error = await failure({
      ...script("process.stderr.write('ready\\n'); setInterval(() => {}, 1000);"),
      signal: controller.signal,
      killGraceMs: 10_000,
      onStderrLine: (line) => {
        if (line === 'ready') controller.abort();
      },
    });
    expect(error.code).toBe('ABORTED');
    expect(error.details).toMatchObject({ signal: 'SIGTERM' });
  });

  it('stops a process past its deadline with TASK_TIMEOUT', async () => {
    const error = await failure({
      ...script('setInterval(() => {}, 1000);'),
      deadline: Date.now() + 200,
      killGraceMs: 500,
    });
    expect(error.code).toBe('TASK_TIMEOUT');
    expect(error.details).toMatchObject({ signal: 'SIGTERM' });
  });

  it('stops a process that writes more than maxOutputBytes', async () => {
    const error = await failure({
      ...script("setInterval(() => process.stdout.write('x'.repeat(65536)), 1);"),
      maxOutputBytes: 100_000,
      killGraceMs: 500,
    });
    expect(error.code).toBe('TASK_FAILED');
    expect(error.message).toMatch(/wrote more than 100000 bytes of output/);
  });

  it('a non-zero exit is TASK_FAILED with the status and the last line of stderr; stderr lines are forwarded', async () => {
    const lines: string[] = [];
    const error = await failure({
      ...script('process.stderr.write(\'warming up\\nFailed to resolve "nowhere".\\n\'); process.exit(3);'),
      onStderrLine: (line) => lines.push(line),
    });
    expect(error.code).toBe('TASK_FAILED');
    expect(error.message).toMatch(/exited with status 3: Failed to resolve "nowhere"\.$/);
    expect(error.details).toMatchObject({ exitCode: 3 });
    expect(lines).toEqual(['warming up', 'Failed to resolve "nowhere".']);
  });

  it('a missing or non-executable binary is UNAVAILABLE with how to install nmap', async () => {
    const missing = await failure({ binary: '/nonexistent/nmap', args: [] });
    expect(missing.code).toBe('UNAVAILABLE');
    expect(missing.message).toMatch(/ENOENT.*apt-get install -y nmap/);
    const directory = await mkdtemp(join(tmpdir(), 'nmap-process-'));
    try {
      const file = join(directory, 'nmap');
      await writeFile(file, '#!/bin/sh\n', { mode: 0o644 });
      const notExecutable = await failure({ binary: file, args: [] });
      expect(notExecutable.code).toBe('UNAVAILABLE');
      expect(notExecutable.message).toMatch(/EACCES/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
