import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from './main.js';
import { ProgressBar } from './progress-bar.js';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  return () => text;
}

describe('ProgressBar', () => {
  it('draws done/total on one line, throttles redraws and erases itself', () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const bar = new ProgressBar(stream, 'resolving');
    bar.update(1, 4);
    bar.update(2, 4); // within 100 ms of the last draw: skipped
    bar.update(4, 4); // the final state is always drawn
    bar.clear();
    const drawn = text();
    expect(drawn).toContain('resolving [########......................] 1/4 25%');
    expect(drawn).not.toContain('2/4');
    expect(drawn).toContain('4/4 100%');
    expect(drawn.endsWith('\r\u001b[2K')).toBe(true);
  });
});

describe('scanplane plan progress', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scanplane-progress-'));
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, Array.from({ length: 50 }, (_, i) => `10.9.0.${i + 1} host${i}.lab`).join('\n'));
  const argv = [
    'plan',
    ...Array.from({ length: 50 }, (_, i) => `host${i}.lab`),
    '--hosts',
    hosts,
    '--output',
    'count',
  ];

  it('is drawn on stderr while names resolve when stderr is a terminal', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err = collect(stderr);
    const out = collect(stdout);
    expect(await runCli(argv, { stdout, stderr, stderrIsTTY: true })).toBe(0);
    expect(out()).toBe('50\n');
    expect(err()).toContain('50/50 100%');
  });

  it('is not drawn when stderr is not a terminal', async () => {
    const stderr = new PassThrough();
    const err = collect(stderr);
    expect(await runCli(argv, { stdout: new PassThrough(), stderr, stderrIsTTY: false })).toBe(0);
    expect(err()).not.toContain('resolving');
    expect(JSON.parse(err().trim()).addresses).toBe(50);
  });
});
