import type { NewTask, ScanTask, TaskError, TaskStore } from '@scanplane/core';

/** Creates one queued task per target in `project` (the target text is used as is: the store does not parse it). */
export async function addTasks(
  store: TaskStore,
  project: string,
  targets: readonly string[],
  extra: Partial<NewTask> = {},
): Promise<ScanTask[]> {
  const { created } = await store.create(
    targets.map((target) => ({
      project,
      kind: 'tcp-connect',
      target: { ip: target, addresses: [`${target}/32`], hostnames: [], ports: '22,80' },
      idempotencyKey: `${project}:${target}`,
      status: 'queued' as const,
      ...extra,
    })),
    { at: Date.now() },
  );
  return created;
}

/** Starts a queued task on `workerId`, as a worker's claim does. */
export function startTask(store: TaskStore, id: string, workerId: string): Promise<ScanTask> {
  const at = Date.now();
  return store.transition(id, {
    to: 'started',
    at,
    reason: `claimed by ${workerId}`,
    patch: { workerId, leaseExpiresAt: at + 60_000, lastHeartbeatAt: at },
  });
}

/** Finishes a started task. */
export function finishTask(store: TaskStore, id: string): Promise<ScanTask> {
  return store.transition(id, {
    to: 'finished',
    at: Date.now(),
    reason: 'done',
    patch: { result: { open: [] } },
  });
}

/** Fails a started task with `error`. */
export function failTask(store: TaskStore, id: string, error: TaskError): Promise<ScanTask> {
  return store.transition(id, { to: 'failed', at: Date.now(), reason: error.message, patch: { error } });
}
