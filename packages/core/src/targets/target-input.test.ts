import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { MAX_ENTRY_LENGTH, parseTargetEntry } from './target-entry.js';
import {
  formatSource,
  MAX_LINE_LENGTH,
  readTargetFile,
  splitTargetList,
  type TargetInput,
  targetsFromList,
  targetsFromText,
} from './target-input.js';

const dir = mkdtempSync(join(tmpdir(), 'scanplane-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function tempFile(content: string | Buffer): string {
  const path = join(dir, `targets-${++fileCounter}.txt`);
  writeFileSync(path, content);
  return path;
}

async function collect(iterable: AsyncIterable<TargetInput>): Promise<TargetInput[]> {
  const out: TargetInput[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('splitTargetList', () => {
  it.each([
    ['10.0.0.1, 10.0.0.2 example.com,10.1.3-5,7.1', ['10.0.0.1', '10.0.0.2', 'example.com', '10.1.3-5,7.1']],
    ['10.1.3-5,7.1', ['10.1.3-5,7.1']],
    ['192.0.2.1,5,7', ['192.0.2.1,5,7']],
    ['10.0.0.1,10.0.0.2', ['10.0.0.1', '10.0.0.2']],
    ['10.0.0.0/24,10.0.1.0/24', ['10.0.0.0/24', '10.0.1.0/24']],
    ['a.example,b.example', ['a.example', 'b.example']],
    ['  a.example \t\n b.example  ', ['a.example', 'b.example']],
    ['a.example,,b.example,', ['a.example', 'b.example']],
    ['', []],
    [' , ', []],
    ['https://a.example/p?x=1,2', ['https://a.example/p?x=1,2']],
    ['https://a.example/p?x=1,2 10.0.0.1', ['https://a.example/p?x=1,2', '10.0.0.1']],
    ['10.0.0.1-5,7 2001:db8::1,2001:db8::2', ['10.0.0.1-5,7', '2001:db8::1', '2001:db8::2']],
  ])('splits %j', (text, expected) => {
    expect(splitTargetList(text)).toEqual(expected);
  });

  it('splits at a comma before a URL, never inside it', () => {
    expect(splitTargetList('10.0.0.1,https://a.example/p?x=1,2')).toEqual([
      '10.0.0.1',
      'https://a.example/p?x=1,2',
    ]);
  });

  it('keeps every joined octet list parseable as one entry', () => {
    for (const text of ['10.1.3-5,7.1', '192.0.2.1,5,7', '10.0,1.0.1']) {
      const [entry] = splitTargetList(text);
      expect(entry).toBe(text);
      expect(parseTargetEntry(entry as string).ok).toBe(true);
    }
  });
});

describe('targetsFromList', () => {
  it('splits every item and records the source', () => {
    const source = { kind: 'argument' as const };
    expect(targetsFromList(['10.0.0.1,10.0.0.2', 'example.com'], source)).toEqual([
      { text: '10.0.0.1', source },
      { text: '10.0.0.2', source },
      { text: 'example.com', source },
    ]);
    expect(targetsFromList(['a.example'])).toEqual([{ text: 'a.example', source: { kind: 'list' } }]);
  });
});

describe('targetsFromText', () => {
  it('handles comments, blank lines and several entries per line, with line numbers', () => {
    const text =
      '# lab\n10.0.0.0/24\n\n  \nweb.example  # front\na.example, b.example c.example\n#10.9.9.9\n';
    expect([...targetsFromText(text, 'lab.txt')]).toEqual([
      { text: '10.0.0.0/24', source: { kind: 'file', name: 'lab.txt', line: 2 } },
      { text: 'web.example', source: { kind: 'file', name: 'lab.txt', line: 5 } },
      { text: 'a.example', source: { kind: 'file', name: 'lab.txt', line: 6 } },
      { text: 'b.example', source: { kind: 'file', name: 'lab.txt', line: 6 } },
      { text: 'c.example', source: { kind: 'file', name: 'lab.txt', line: 6 } },
    ]);
  });

  it('accepts CRLF line endings and the stdin kind', () => {
    expect([...targetsFromText('a.example\r\nb.example\r\n', 'stdin', 'stdin')]).toEqual([
      { text: 'a.example', source: { kind: 'stdin', name: 'stdin', line: 1 } },
      { text: 'b.example', source: { kind: 'stdin', name: 'stdin', line: 2 } },
    ]);
  });
});

describe('formatSource', () => {
  it('formats each kind of source', () => {
    expect(formatSource({ kind: 'file', name: 'targets.txt', line: 12 })).toBe('targets.txt:12');
    expect(formatSource({ kind: 'stdin', line: 3 })).toBe('stdin:3');
    expect(formatSource({ kind: 'argument' })).toBe('argument');
    expect(formatSource({ kind: 'list', name: '--exclude' })).toBe('--exclude');
    expect(formatSource(undefined)).toBe('input');
  });
});

describe('readTargetFile', () => {
  it('streams entries with file and line, skipping comments and blank lines', async () => {
    const path = tempFile('# header\n10.0.0.1\n\nweb.example 10.0.0.2 # two\n10.1.3-5,7.1\nlast.example');
    expect(await collect(readTargetFile(path))).toEqual([
      { text: '10.0.0.1', source: { kind: 'file', name: path, line: 2 } },
      { text: 'web.example', source: { kind: 'file', name: path, line: 4 } },
      { text: '10.0.0.2', source: { kind: 'file', name: path, line: 4 } },
      { text: '10.1.3-5,7.1', source: { kind: 'file', name: path, line: 5 } },
      { text: 'last.example', source: { kind: 'file', name: path, line: 6 } },
    ]);
  });

  it('reads CRLF files', async () => {
    const path = tempFile('10.0.0.1\r\n# c\r\nweb.example\r\n\r\n10.0.0.3\r\n');
    const entries = await collect(readTargetFile(path));
    expect(entries.map((e) => [e.text, e.source?.line])).toEqual([
      ['10.0.0.1', 1],
      ['web.example', 3],
      ['10.0.0.3', 5],
    ]);
  });

  it('reads an empty file as no entries', async () => {
    expect(await collect(readTargetFile(tempFile('')))).toEqual([]);
    expect(await collect(readTargetFile(tempFile('\n\n# only comments\n')))).toEqual([]);
  });

  it('turns a line longer than MAX_LINE_LENGTH into one invalid entry and goes on', async () => {
    const long = 'x'.repeat(MAX_LINE_LENGTH * 3);
    const path = tempFile(`10.0.0.1\n${long}\n10.0.0.2\n`);
    const entries = await collect(readTargetFile(path));
    expect(entries.map((e) => e.source?.line)).toEqual([1, 2, 3]);
    expect(entries[0]?.text).toBe('10.0.0.1');
    expect(entries[2]?.text).toBe('10.0.0.2');
    const overlong = entries[1] as TargetInput;
    expect(overlong.text.length).toBeGreaterThan(MAX_ENTRY_LENGTH);
    const parsed = parseTargetEntry(overlong.text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toBe('invalid');
  });

  it('turns an over-long line of many valid entries into one invalid entry, not thousands', async () => {
    const long = '10.0.0.9 '.repeat(Math.ceil((MAX_LINE_LENGTH + 1000) / 9));
    expect(long.length).toBeGreaterThan(MAX_LINE_LENGTH);
    const path = tempFile(`10.0.0.1\r\n${long}\r\n10.0.0.2\r\n`);
    const entries = await collect(readTargetFile(path));
    expect(entries.map((e) => e.source?.line)).toEqual([1, 2, 3]);
    expect(entries[2]?.text).toBe('10.0.0.2');
    const parsed = parseTargetEntry((entries[1] as TargetInput).text);
    expect(parsed.ok).toBe(false);
  });

  it('turns an over-long last line without a newline into one invalid entry', async () => {
    const path = tempFile(`10.0.0.1\n${'y'.repeat(MAX_LINE_LENGTH * 2)}`);
    const entries = await collect(readTargetFile(path));
    expect(entries.map((e) => e.source?.line)).toEqual([1, 2]);
    expect(parseTargetEntry((entries[1] as TargetInput).text).ok).toBe(false);
  });

  it('reads "-" from the stream passed as second argument, across chunk boundaries', async () => {
    const stdin = Readable.from([
      Buffer.from('10.0.0.1\nweb.ex'),
      Buffer.from('ample # c\r\n\n10.0.'),
      Buffer.from('0.2'),
    ]);
    expect(await collect(readTargetFile('-', stdin))).toEqual([
      { text: '10.0.0.1', source: { kind: 'stdin', name: 'stdin', line: 1 } },
      { text: 'web.example', source: { kind: 'stdin', name: 'stdin', line: 2 } },
      { text: '10.0.0.2', source: { kind: 'stdin', name: 'stdin', line: 4 } },
    ]);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const bytes = Buffer.from('bücher.example\n', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of ü
    const stdin = Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]);
    const entries = await collect(readTargetFile('-', stdin));
    expect(entries.map((e) => e.text)).toEqual(['bücher.example']);
  });

  it('accepts string chunks from a stdin stream', async () => {
    const stdin = Readable.from(['a.example\n', 'b.example'], { objectMode: true });
    expect((await collect(readTargetFile('-', stdin))).map((e) => e.text)).toEqual([
      'a.example',
      'b.example',
    ]);
  });

  it('throws ScanplaneError NOT_FOUND for a missing file', async () => {
    const missing = join(dir, 'does-not-exist.txt');
    let caught: unknown;
    try {
      await collect(readTargetFile(missing));
    } catch (error) {
      caught = error;
    }
    expect(isScanplaneError(caught)).toBe(true);
    if (!isScanplaneError(caught)) return;
    expect(caught.code).toBe('NOT_FOUND');
    expect(caught.message).toContain(missing);
  });
});
