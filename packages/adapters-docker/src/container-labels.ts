import type { ScanTask } from '@scanplane/core';

/**
 * The labels every container this package starts carries: who manages it (`io.scanplane.managed-by`), which
 * deployment owns it (`io.scanplane.owner`: launchers with the same owner watch, reconcile and reap the same
 * containers), its role (`task` or `worker`), and for a task container the task id, attempt, project, kind, scan and
 * organizations. Find them with `docker ps -a --filter label=io.scanplane.owner=<owner>`.
 *
 * @example
 * ```ts
 * import { LABELS } from '@scanplane/docker';
 * const filter = `label=${LABELS.taskId}=3f2a…`; // docker ps -a --filter "$filter"
 * ```
 */
export const LABELS = Object.freeze({
  /** Always `scanplane`. */
  managedBy: 'io.scanplane.managed-by',
  /** The deployment that owns the container (the launcher's `owner` option). */
  owner: 'io.scanplane.owner',
  /** `task` (push mode: one container per task) or `worker` (pull mode: a fleet worker). */
  role: 'io.scanplane.role',
  /** The task id. */
  taskId: 'io.scanplane.task-id',
  /** The attempt this container runs (1 for the first). */
  attempt: 'io.scanplane.attempt',
  /** The task's project (its dedup scope). */
  project: 'io.scanplane.project',
  /** The task's kind (scan type). */
  kind: 'io.scanplane.kind',
  /** The scan definition, for scheduled tasks. */
  scanId: 'io.scanplane.scan-id',
  /** The organization ids the task covers, comma-separated (cut at 1,000 characters, ending with `…`). */
  organizations: 'io.scanplane.organizations',
});

/** The value of {@link LABELS}.managedBy. */
export const MANAGED_BY = 'scanplane';

/** The labels of one task container (user labels first: scanplane's own win). */
export function taskLabels(
  task: ScanTask,
  owner: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const labels: Record<string, string> = {
    ...extra,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.owner]: owner,
    [LABELS.role]: 'task',
    [LABELS.taskId]: task.id,
    [LABELS.attempt]: String(task.attempt + 1),
    [LABELS.project]: task.project,
    [LABELS.kind]: task.kind,
  };
  if (task.scanId !== undefined) labels[LABELS.scanId] = task.scanId;
  const organizations = task.organizationIds ?? organizationsOf(task).map((organization) => organization.id);
  if (organizations.length > 0) {
    const joined = organizations.join(',');
    labels[LABELS.organizations] = joined.length > 1000 ? `${joined.slice(0, 999)}…` : joined;
  }
  return labels;
}

/** The label filters (`key=value`) that select an owner's containers, optionally of one role. */
export function ownerFilters(owner: string, role?: 'task' | 'worker'): string[] {
  const filters = [`${LABELS.managedBy}=${MANAGED_BY}`, `${LABELS.owner}=${owner}`];
  if (role !== undefined) filters.push(`${LABELS.role}=${role}`);
  return filters;
}

/** The organizations a scheduled task's payload carries. */
export function organizationsOf(task: ScanTask): Array<{ id: string; name: string }> {
  const organizations = task.payload?.['organizations'];
  if (!Array.isArray(organizations)) return [];
  return organizations.filter(
    (organization): organization is { id: string; name: string } =>
      typeof organization === 'object' &&
      organization !== null &&
      typeof (organization as { id?: unknown }).id === 'string' &&
      typeof (organization as { name?: unknown }).name === 'string',
  );
}
