import { ScanplaneError } from '../errors/scanplane-error.js';
import { MAX_CHUNKS } from '../worker/entrypoint.js';

/**
 * The half-open index range `[start, end)` of chunk `chunkNumber` of `chunkCount` over `length` items: contiguous,
 * in order, sizes differing by at most one, and together covering every index exactly once — unlike Crossfeed's
 * webscraper, whose `chunk(list, numChunks)[chunkNumber]` made groups *of size* `numChunks` and so only ever scraped
 * the first 9 organizations with 3 chunks.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` unless `0 ≤ chunkNumber < chunkCount ≤ 100` (integers) and
 * `length` is a non-negative integer.
 * @example
 * ```ts
 * import { chunkRange } from '@scanplane/core';
 * chunkRange(10, 0, 3); // [0, 3]
 * chunkRange(10, 2, 3); // [6, 10]
 * ```
 */
export function chunkRange(length: number, chunkNumber: number, chunkCount: number): [number, number] {
  if (!Number.isInteger(length) || length < 0)
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `chunk over ${length} items: the length must be a whole number`,
    );
  if (!Number.isInteger(chunkCount) || chunkCount < 1 || chunkCount > MAX_CHUNKS)
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `chunk count ${chunkCount} must be an integer from 1 to ${MAX_CHUNKS}`,
    );
  if (!Number.isInteger(chunkNumber) || chunkNumber < 0 || chunkNumber >= chunkCount)
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `chunk number ${chunkNumber} must be an integer from 0 to ${chunkCount - 1}`,
    );
  return [
    Math.floor((chunkNumber * length) / chunkCount),
    Math.floor(((chunkNumber + 1) * length) / chunkCount),
  ];
}

/**
 * The items of chunk `chunkNumber` of `chunkCount` (see {@link chunkRange}): what one chunked task of a global scan
 * works on, given the whole list in a stable order.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` as {@link chunkRange}.
 * @example
 * ```ts
 * import { chunkSlice } from '@scanplane/core';
 * chunkSlice(['a', 'b', 'c', 'd', 'e'], 1, 2); // ['c', 'd', 'e']
 * ```
 */
export function chunkSlice<T>(items: readonly T[], chunkNumber: number, chunkCount: number): T[] {
  const [start, end] = chunkRange(items.length, chunkNumber, chunkCount);
  return items.slice(start, end);
}
