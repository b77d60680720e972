import type { Lock, LockLease } from '../ports/lock.js';

/**
 * The in-memory {@link Lock}: mutual exclusion by name within one process, waiters served first come, first served.
 *
 * @example
 * ```ts
 * import { createMemoryLock } from '@scanplane/core';
 * const lock = createMemoryLock();
 * const lease = await lock.acquire('project:acme');
 * await lease?.release();
 * ```
 */
export function createMemoryLock(): Lock {
  const held = new Set<string>();
  const waiters = new Map<string, Array<() => void>>();
  const leaseFor = (name: string): LockLease => {
    let released = false;
    return {
      name,
      async release() {
        if (released) return;
        released = true;
        const queue = waiters.get(name);
        const next = queue?.shift();
        if (queue?.length === 0) waiters.delete(name);
        if (next === undefined) held.delete(name);
        else next();
      },
    };
  };
  return {
    name: 'memory',
    async acquire(name, options = {}) {
      if (!held.has(name)) {
        held.add(name);
        return leaseFor(name);
      }
      if (options.wait === false || options.signal?.aborted) return undefined;
      return new Promise<LockLease | undefined>((resolve) => {
        const queue = waiters.get(name) ?? [];
        waiters.set(name, queue);
        const grant = (): void => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(leaseFor(name));
        };
        const onAbort = (): void => {
          const index = queue.indexOf(grant);
          if (index !== -1) queue.splice(index, 1);
          resolve(undefined);
        };
        queue.push(grant);
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
