/**
 * A left-aligned text table: a header row, a rule, then the rows (every cell a string).
 *
 * @example
 * ```ts
 * import { table } from './table.js';
 * console.log(table(['ORG', 'OPEN'], [['acme', '8080']]));
 * ```
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  indent = '  ',
): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string =>
    indent +
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
