import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { ScanplaneError } from '../errors/scanplane-error.js';
import { MAX_ENTRY_LENGTH } from './target-entry.js';

/**
 * Where an entry came from, for messages and the per-entry summary: a command-line argument, a line of a file or
 * of standard input, or a list passed through the API.
 *
 * @example
 * ```ts
 * import type { TargetSource } from '@scanplane/core';
 * const source: TargetSource = { kind: 'file', name: 'targets.txt', line: 12 };
 * ```
 */
export interface TargetSource {
  /** What kind of source. */
  kind: 'argument' | 'file' | 'stdin' | 'list';
  /** The file name for `file`, the option name (such as `--exclude`) for lists. */
  name?: string;
  /** 1-based line number for `file` and `stdin`. */
  line?: number;
}

/**
 * One target entry with its provenance.
 *
 * @example
 * ```ts
 * import type { TargetInput } from '@scanplane/core';
 * const input: TargetInput = { text: '10.0.0.0/24', source: { kind: 'argument' } };
 * ```
 */
export interface TargetInput {
  /** The entry text. */
  text: string;
  /** Where it came from. */
  source?: TargetSource;
}

/**
 * Formats a source for messages: `targets.txt:12`, `stdin:3`, `argument`, `--exclude`.
 *
 * @example
 * ```ts
 * import { formatSource } from '@scanplane/core';
 * formatSource({ kind: 'file', name: 'targets.txt', line: 12 }); // 'targets.txt:12'
 * ```
 */
export function formatSource(source: TargetSource | undefined): string {
  if (source === undefined) return 'input';
  const name = source.name ?? (source.kind === 'stdin' ? 'stdin' : source.kind);
  return source.line === undefined ? name : `${name}:${source.line}`;
}

const NUMERIC_PIECE = /^[0-9,-]+(\.[0-9,-]*)*$/;

/**
 * Splits a comma- and whitespace-separated list into entries. Commas that belong to an nmap octet list stay
 * (`10.1.3-5,7.1` is one entry, `192.0.2.1,5,7` is one entry for .1, .5 and .7). A comma followed by `scheme://`
 * starts a URL, and a URL runs to the next such comma or whitespace: URLs are never split at their own commas.
 *
 * @example
 * ```ts
 * import { splitTargetList } from '@scanplane/core';
 * splitTargetList('10.0.0.1, 10.0.0.2 example.com,10.1.3-5,7.1');
 * // ['10.0.0.1', '10.0.0.2', 'example.com', '10.1.3-5,7.1']
 * ```
 */
export function splitTargetList(text: string): string[] {
  const out: string[] = [];
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    // A comma followed by `scheme://` starts a URL; a URL then runs to the next such comma (URLs may hold commas).
    const segments = token.includes('://') ? token.split(URL_START) : [token];
    for (const segment of segments) {
      if (segment.includes('://')) out.push(segment);
      else splitCommaList(segment, out);
    }
  }
  return out;
}

const URL_START = /,(?=[A-Za-z][A-Za-z0-9+.-]*:\/\/)/;

/** Splits one comma-separated segment, keeping nmap octet lists (`10.1.3-5,7.1`) together. */
function splitCommaList(segment: string, out: string[]): void {
  let previousJoinable = false;
  for (const piece of segment.split(',')) {
    if (piece === '') {
      previousJoinable = false;
      continue;
    }
    const previous = out[out.length - 1];
    if (
      previousJoinable &&
      previous !== undefined &&
      NUMERIC_PIECE.test(piece) &&
      piece.split('.').length < 4 &&
      `${previous},${piece}`.split('.').length === 4
    ) {
      out[out.length - 1] = `${previous},${piece}`;
    } else {
      out.push(piece);
      previousJoinable = NUMERIC_PIECE.test(piece);
    }
  }
}

/**
 * Turns command-line arguments (or any list of strings) into entries, splitting each at commas and whitespace.
 *
 * @example
 * ```ts
 * import { targetsFromList } from '@scanplane/core';
 * targetsFromList(['10.0.0.1,10.0.0.2', 'example.com'], { kind: 'argument' });
 * ```
 */
export function targetsFromList(
  items: Iterable<string>,
  source: TargetSource = { kind: 'list' },
): TargetInput[] {
  const out: TargetInput[] = [];
  for (const item of items) for (const text of splitTargetList(item)) out.push({ text, source });
  return out;
}

/**
 * Splits text in target-file format into entries: one or more entries per line (comma or whitespace separated),
 * `#` starts a comment, blank lines are skipped. Each entry records its line.
 *
 * @example
 * ```ts
 * import { targetsFromText } from '@scanplane/core';
 * [...targetsFromText('# lab\n10.0.0.0/24\nweb.example  # front\n', 'lab.txt')];
 * // [{ text: '10.0.0.0/24', source: { kind: 'file', name: 'lab.txt', line: 2 } }, { text: 'web.example', … line: 3 }]
 * ```
 */
export function* targetsFromText(
  text: string,
  name = 'text',
  kind: 'file' | 'stdin' = 'file',
): Generator<TargetInput> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) yield* lineEntries(lines[i] as string, { kind, name, line: i + 1 });
}

function* lineEntries(line: string, source: TargetSource): Generator<TargetInput> {
  const hash = line.indexOf('#');
  const content = hash === -1 ? line : line.slice(0, hash);
  for (const text of splitTargetList(content)) yield { text, source };
}

/**
 * Longest line accepted from a target file; a longer line becomes one invalid entry.
 *
 * @example
 * ```ts
 * import { MAX_LINE_LENGTH } from '@scanplane/core';
 * console.log(`lines are cut at ${MAX_LINE_LENGTH} characters`);
 * ```
 */
export const MAX_LINE_LENGTH = 65536;

/**
 * Streams the entries of a target file (or standard input for `-`) line by line, without reading the whole file
 * into memory. A line longer than {@link MAX_LINE_LENGTH} yields one entry holding its first characters, which the
 * parser refuses as too long; reading goes on at the next line.
 *
 * @throws {@link ScanplaneError} `NOT_FOUND` when the file cannot be opened.
 * @example
 * ```ts
 * import { readTargetFile, prepare } from '@scanplane/core';
 * const prepared = await prepare(readTargetFile('targets.txt'));
 * ```
 */
export async function* readTargetFile(
  path: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): AsyncGenerator<TargetInput> {
  const kind = path === '-' ? 'stdin' : 'file';
  const name = path === '-' ? 'stdin' : path;
  const stream = path === '-' ? stdin : createReadStream(path);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overflow = false;
  let lineNumber = 0;
  // One line's entries; a line longer than MAX_LINE_LENGTH is one entry holding its start, which the parser refuses.
  const entriesOf = (line: string): TargetInput[] => {
    lineNumber++;
    const source: TargetSource = { kind, name, line: lineNumber };
    if (overflow || line.length > MAX_LINE_LENGTH)
      return [{ text: line.slice(0, MAX_ENTRY_LENGTH + 1), source }];
    return [...lineEntries(line.replace(/\r$/, ''), source)];
  };
  try {
    for await (const chunk of stream) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        yield* entriesOf(overflow ? pending : pending + text.slice(start, newline));
        pending = '';
        overflow = false;
        start = newline + 1;
      }
      if (!overflow) {
        pending += text.slice(start);
        if (pending.length > MAX_LINE_LENGTH) {
          overflow = true;
          pending = pending.slice(0, MAX_ENTRY_LENGTH + 1);
        }
      }
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ScanplaneError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
      `cannot read ${name}: ${(error as Error).message}`,
      {
        cause: error,
        details: { file: name },
      },
    );
  }
  pending += decoder.end();
  if (pending !== '' || overflow) yield* entriesOf(pending);
}
