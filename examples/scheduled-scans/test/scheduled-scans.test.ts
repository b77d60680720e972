import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scheduled-scans.mjs', import.meta.url));
const CORE = fileURLToPath(new URL('../../../packages/core/dist/index.js', import.meta.url));
/** Far above what the demo needs (well under a second: time is a manual clock); past it the process is killed. */
const EXIT_WITHIN_MS = 60_000;
const ORGANIZATIONS = ['acme', 'globex', 'initech', 'umbrella'];

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether it had to be killed because it did not exit by itself within {@link EXIT_WITHIN_MS}. */
  killed: boolean;
}

/** Runs the example as `node examples/scheduled-scans/scheduled-scans.mjs` does, and waits for it to exit by itself. */
function runExample(): Promise<Run> {
  if (!existsSync(CORE))
    throw new Error(`${CORE} is missing: build first (pnpm build at the repository root)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, EXIT_WITHIN_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, killed });
    });
  });
}

/**
 * The rows of the table under the line that starts with `title` (its indented lines), as cells: the header and its
 * dashes are dropped.
 */
function table(text: string, title: string): string[][] {
  const start = text.split('\n').findIndex((line) => line.startsWith(title));
  if (start === -1) throw new Error(`no section '${title}' in:\n${text}`);
  const lines: string[] = [];
  for (const line of text.split('\n').slice(start + 1)) {
    if (!line.startsWith('  ') || line.trim() === '') break;
    lines.push(line);
  }
  expect(lines[1], `section '${title}' has no table`).toMatch(/^\s+-+/);
  return lines.slice(2).map((line) => line.trim().split(/\s{2,}/));
}

/** The rows of a table whose first cells are `first`. */
const rowsOf = (rows: string[][], ...first: string[]): string[][] =>
  rows.filter((cells) => first.every((cell, i) => cells[i] === cell));

/** The one row of a table whose first cells are `first`. */
function rowOf(rows: string[][], ...first: string[]): string[] {
  const found = rowsOf(rows, ...first);
  expect(found, `rows starting ${first.join(' | ')}`).toHaveLength(1);
  return found[0] as string[];
}

const ports = (cell: string | undefined): number[] =>
  [...(cell ?? '').matchAll(/\d+/g)].map((match) => Number(match[0])).sort((a, b) => a - b);

describe('examples/scheduled-scans', () => {
  it('runs four scheduler ticks on the embedded orchestrator, explains them, and exits 0 by itself', async () => {
    const run = await runExample();
    // It left nothing running: it exited on its own, before the limit, with status 0.
    expect(run.killed, `did not exit within ${EXIT_WITHIN_MS} ms:\n${run.stdout}`).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.status, run.stdout).toBe(0);
    const out = run.stdout;

    // The listeners, per organization: every organization has its own ports on 127.0.0.1.
    const organizations = table(out, 'Organizations');
    expect(organizations.map((cells) => cells[0])).toEqual(ORGANIZATIONS);
    const listening = new Map(organizations.map((cells) => [cells[0], ports(cells[4])]));
    const all = [...listening.values()].flat();
    expect(new Set(all).size).toBe(all.length);
    expect(rowOf(organizations, 'initech')[2]).toBe('yes');
    const closedPort = Number(/^Port (\d+) is closed/m.exec(out)?.[1]);
    expect(all).not.toContain(closedPort);

    const decisions = [1, 2, 3, 4].map((tick) => table(out, `Tick ${tick} at `));
    const results = [1, 2, 3, 4].map((tick) => table(out, `Tick ${tick} results`));
    const [tick1, tick2, tick3, tick4] = decisions as [string[][], string[][], string[][], string[][]];

    // portscan depends on discovery: on the first tick it waits on every active organization...
    for (const organization of ['acme', 'globex', 'umbrella']) {
      expect(rowOf(tick1, 'portscan', organization).slice(2)).toEqual([
        'skipped',
        'waiting-for-dependency',
        'discovery has not succeeded here yet',
      ]);
      expect(rowOf(tick1, 'discovery', organization)[2]).toBe('launched');
    }
    // ...and runs on the next tick where discovery finished (acme and umbrella, one task of two organizations);
    const acme2 = rowOf(tick2, 'portscan', 'acme');
    expect(acme2[2]).toBe('launched');
    expect(acme2[4]).toMatch(/^task #\d+ with acme, umbrella$/);
    expect(rowOf(tick2, 'portscan', 'umbrella')[4]).toBe(acme2[4]);
    // where it failed (globex), portscan keeps waiting until a discovery succeeds there.
    expect(rowOf(tick2, 'portscan', 'globex').slice(2, 4)).toEqual(['skipped', 'waiting-for-dependency']);
    // A day later both are due again: discovery runs, and portscan waits for it since its own last run...
    for (const organization of ['acme', 'umbrella']) {
      expect(rowOf(tick3, 'discovery', organization)[2]).toBe('launched');
      expect(rowOf(tick3, 'portscan', organization).slice(2)).toEqual([
        'skipped',
        'waiting-for-dependency',
        "discovery has not succeeded here since this scan's last run (2026-01-05T00:05:00.000Z)",
      ]);
    }
    // ...then runs on all three active organizations, in batches of two.
    for (const organization of ['acme', 'globex', 'umbrella'])
      expect(rowOf(tick4, 'portscan', organization)[2]).toBe('launched');
    expect(rowOf(tick4, 'portscan', 'acme')[4]).toMatch(/^task #\d+ with acme, globex$/);
    expect(rowOf(tick4, 'portscan', 'umbrella')[4]).toMatch(/^task #\d+ with umbrella$/);

    // The passive organization never gets the active scan (every tick says why), but does get passive ones.
    for (const tick of decisions) {
      expect(rowOf(tick, 'portscan', 'initech').slice(2)).toEqual(['skipped', 'passive-organization']);
    }
    expect(rowOf(tick1, 'discovery', 'initech')[2]).toBe('launched');
    const portscanRows = results.flatMap((tick) => tick.filter((cells) => cells[2] === 'portscan'));
    expect(portscanRows.length).toBe(5); // acme and umbrella twice, globex once
    expect(portscanRows.map((cells) => cells[3])).not.toContain('initech');

    // The granular scan picks the organizations tagged energy, and only them.
    for (const organization of ['acme', 'umbrella'])
      expect(rowOf(tick1, 'energy-advisories', organization)[2]).toBe('launched');
    for (const organization of ['globex', 'initech'])
      expect(rowOf(tick1, 'energy-advisories', organization).slice(2)).toEqual(['skipped', 'not-selected']);

    // One organization's failure fails it alone: globex's discovery failed, its batch-mate acme finished, and the
    // task itself finished.
    const globexRun = (results[0] as string[][]).find(
      (cells) => cells[2] === 'discovery' && cells[3] === 'globex',
    );
    expect(globexRun?.[1]).toBe('finished');
    expect(globexRun?.[4]).toBe('failed');
    expect(globexRun?.[5]).toMatch(/^TASK_FAILED: passive DNS source timed out/);
    const batch = rowsOf(results[0] as string[][], globexRun?.[0] as string);
    expect(batch.map((cells) => [cells[3], cells[4]])).toEqual([
      ['acme', 'finished'],
      ['globex', 'failed'],
    ]);
    // It succeeds the next time, a day later.
    const globexAgain = (results[2] as string[][]).find(
      (cells) => cells[2] === 'discovery' && cells[3] === 'globex',
    );
    expect(globexAgain?.[4]).toBe('finished');

    // The global scan: every chunk of 3 launched and ran, and together they cover each organization exactly once —
    // on its schedule at tick 1, and by the manual run at tick 2 (weekly, it is not due otherwise).
    for (const [tick, why] of [
      [0, 'due'],
      [1, 'manual run'],
    ] as const) {
      const chunks = rowsOf(decisions[tick] as string[][], 'census', '(global)');
      expect(chunks.map((cells) => [cells[2], cells[3]])).toEqual([
        ['launched', why],
        ['launched', why],
        ['launched', why],
      ]);
      expect(chunks.map((cells) => (cells[4] ?? '').replace(/^task #\d+, /, ''))).toEqual([
        'chunk 1 of 3',
        'chunk 2 of 3',
        'chunk 3 of 3',
      ]);
      const ran = (results[tick] as string[][]).filter((cells) => cells[2] === 'census');
      expect(ran).toHaveLength(3);
      const covered: string[] = [];
      for (const [i, cells] of ran.entries()) {
        expect(cells[1]).toBe('finished');
        const match = /^chunk (\d)\/3: (.+)$/.exec(cells[5] ?? '');
        expect(match?.[1]).toBe(String(i + 1));
        covered.push(...(match?.[2] ?? '').split(', '));
      }
      expect(covered).toEqual(ORGANIZATIONS);
    }
    expect(out).toContain('Manual run of census requested at 2026-01-05 00:04 UTC (day 0)');
    expect(rowOf(tick3, 'census', '(global)').slice(2)).toEqual([
      'skipped',
      'not-due',
      'due after 2026-01-12T00:05:00.000Z',
    ]);

    // Open ports: each portscan found exactly its organization's listeners (the closed port is not open)...
    for (const cells of portscanRows) {
      expect(cells[4]).toBe('finished');
      expect(ports(/^open ([\d, ]+);/.exec(cells[5] ?? '')?.[1])).toEqual(listening.get(cells[3] as string));
    }
    // ...the summary agrees, and the passive organization's listener was never even connected to.
    const open = table(out, 'Open ports per organization');
    for (const organization of ['acme', 'globex', 'umbrella']) {
      const cells = rowOf(open, organization);
      expect(ports(cells[4])).toEqual(listening.get(organization));
      expect(Number(cells[2])).toBe(Number(cells[3]) * (listening.get(organization)?.length ?? 0));
    }
    expect(rowOf(open, 'initech').slice(2)).toEqual(['0', '0', '-']);

    // explain(): why portscan waited on globex, why initech never gets it, and the rest.
    const why = table(out, 'Why (scheduler.explain)');
    expect(rowOf(why, '2026-01-05 00:00 UTC (day 0)', 'portscan', 'globex').slice(3)).toEqual([
      'no',
      'waiting-for-dependency: discovery has not succeeded here yet (its last run failed, at 2026-01-05T00:00:00.000Z)',
    ]);
    expect(rowOf(why, '2026-01-05 00:00 UTC (day 0)', 'portscan', 'acme')[3]).toBe('yes');
    expect(rowOf(why, '2026-01-06 00:15 UTC (day 1)', 'portscan', 'initech').slice(3)).toEqual([
      'no',
      'passive-organization',
    ]);
    expect(rowOf(why, '2026-01-06 00:15 UTC (day 1)', 'energy-advisories', 'globex')[4]).toMatch(
      /^not-selected/,
    );
    expect(rowOf(why, '2026-01-06 00:15 UTC (day 1)', 'portscan', 'acme')[4]).toBe(
      'not-due: due after 2026-01-07T00:15:00.000Z',
    );

    expect(out).toContain('Tasks: 15 finished, 0 failed, 0 cancelled (of 15, in 4 ticks)');
    expect(out).toContain('scheduled-scans: OK');
  });
});
