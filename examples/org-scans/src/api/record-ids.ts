import { ScanplaneError } from '@scanplane/core';

/**
 * The `NOT_FOUND` answer for a record named in the path (`what`: `organization`, `scan`).
 *
 * @example
 * ```ts
 * import { notFound } from './record-ids.js';
 * throw notFound('scan', 'portscan'); // 404: no scan portscan
 * ```
 */
export function notFound(what: string, id: string): ScanplaneError {
  return new ScanplaneError('NOT_FOUND', `no ${what} ${id}`, { details: { where: 'params/id', id } });
}

/**
 * Checks that a replacement's `body/id`, when given, is the path's id.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming `body/id`.
 * @example
 * ```ts
 * import { checkBodyId } from './record-ids.js';
 * checkBodyId(undefined, 'acme'); // fine: the path names it
 * ```
 */
export function checkBodyId(bodyId: string | undefined, pathId: string): void {
  if (bodyId !== undefined && bodyId !== pathId) {
    throw new ScanplaneError('INVALID_ARGUMENT', `body/id '${bodyId}' is not the path's '${pathId}'`, {
      details: { where: 'body/id' },
    });
  }
}
