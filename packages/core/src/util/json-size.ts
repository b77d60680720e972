/**
 * The length of `JSON.stringify(value)` when it is over `limit` characters, else `undefined`. Small plain values
 * (the usual scan result) are decided from an upper bound of their JSON length, without building the string; only
 * a value whose bound passes the limit (or that has a `toJSON`, or is not plain data) is stringified for its exact
 * length.
 *
 * @throws TypeError where `JSON.stringify` throws (a cycle, a BigInt).
 * @internal
 */
export function jsonLengthOver(value: unknown, limit: number): number | undefined {
  if (upperBound(value, limit, 0) <= limit) return undefined;
  const length = JSON.stringify(value)?.length ?? 0;
  return length > limit ? length : undefined;
}

/** Deeper values are stringified instead (it also keeps cycles from recursing here). */
const MAX_DEPTH = 32;
/** Characters of the longest number JSON writes (`-1.7976931348623157e+308`). */
const NUMBER = 24;

/**
 * An upper bound of the JSON length of `value`, or `Infinity` as soon as it passes `budget` or cannot be bounded
 * cheaply. A string counts six characters per code unit (`\u001f`), so the bound holds whatever it escapes.
 */
function upperBound(value: unknown, budget: number, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return NUMBER;
    case 'boolean':
      return 5;
    case 'undefined':
    case 'function':
    case 'symbol':
      return 4; // `null` in an array; omitted in an object
    case 'bigint':
      return Number.POSITIVE_INFINITY; // JSON.stringify throws: let it say so
    default:
      break;
  }
  if (value === null) return 4;
  if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return Number.POSITIVE_INFINITY;
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      total += upperBound(item, budget - total, depth + 1) + 1;
      if (total > budget) return Number.POSITIVE_INFINITY;
    }
    return total;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return Number.POSITIVE_INFINITY;
  for (const key in value as Record<string, unknown>) {
    if (!Object.hasOwn(value as object, key)) continue;
    total +=
      key.length * 6 + 3 + upperBound((value as Record<string, unknown>)[key], budget - total, depth + 1) + 1;
    if (total > budget) return Number.POSITIVE_INFINITY;
  }
  return total;
}
