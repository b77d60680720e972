import * as crypto from 'node:crypto';
import type { PortSet } from './port-set.js';

/**
 * What an idempotency key is derived from: the dedup scope (a project), the addresses as canonical CIDRs, and the
 * canonical port set (which carries the protocols).
 *
 * @example
 * ```ts
 * import type { TaskKeyParts } from '@scanplane/core';
 * const parts: TaskKeyParts = { scope: 'acme', addresses: ['192.0.2.0/30'], ports: '80,443' };
 * ```
 */
export interface TaskKeyParts {
  /** The dedup scope, such as a project id. */
  scope: string;
  /** The task's addresses as canonical CIDRs, ascending. */
  addresses: readonly string[];
  /** The canonical port specification ({@link PortSet.toString}). */
  ports: string;
}

const hash: (data: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) =>
        (crypto as unknown as { hash(a: string, d: string, e: string): string }).hash('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * The deterministic idempotency key of a task: a SHA-256 over its scope, canonical addresses and canonical ports.
 * The same work always gets the same key, whatever order its addresses or ports were written in.
 *
 * @example
 * ```ts
 * import { taskKey } from '@scanplane/core';
 * taskKey({ scope: 'acme', addresses: ['192.0.2.1/32'], ports: '80,443' }); // 64 hex characters
 * ```
 */
export function taskKey(parts: TaskKeyParts): string {
  return hash(`scanplane.task.v1\n${parts.scope}\n${parts.addresses.join(',')}\n${parts.ports}`);
}
