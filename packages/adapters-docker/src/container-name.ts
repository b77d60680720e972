import type { ScanTask } from '@scanplane/core';
import { organizationsOf } from './container-labels.js';

const PART_LIMIT = 40;

/**
 * One part of a container name, made to fit Docker's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]*`: runs of other characters
 * (spaces, `/`, `+`, accents) become one `-`, leading and trailing separators go, the part is lower-cased and cut at
 * 40 characters; an empty result becomes `x`. Parts never contain `_`, which separates them.
 *
 * @example
 * ```ts
 * import { sanitizeNamePart } from '@scanplane/docker';
 * sanitizeNamePart('Acme Energy / Power+'); // 'acme-energy-power'
 * ```
 */
export function sanitizeNamePart(text: string): string {
  const part = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, PART_LIMIT)
    .replace(/[.-]+$/g, '');
  return part === '' ? 'x' : part;
}

/**
 * The container name of a task's next attempt: `<prefix>_<organization or global>_<scan>_<short task id>-<attempt>`.
 * The second part is the organization's name for a one-organization task, `<first>-and-<n>-more` for a batch (never
 * Crossfeed's `undefined`), `global` for a scheduled task without organizations, and the project for a target task;
 * the scan part is the scan's name (else its id, else the task's kind); the short id is the task id's first 12
 * letters and digits, and the attempt makes every launch of a task a different name. Every part is sanitised
 * ({@link sanitizeNamePart}).
 *
 * @example
 * ```ts
 * import { containerNameFor } from '@scanplane/docker';
 * declare const task: import('@scanplane/core').ScanTask;
 * containerNameFor(task, 'scanplane'); // 'scanplane_acme-energy_portscan_3f2a9c01b7e4-1'
 * ```
 */
export function containerNameFor(task: ScanTask, prefix: string): string {
  const organizations = organizationsOf(task);
  const scheduled = task.scanId !== undefined || typeof task.payload?.['scanName'] === 'string';
  let where: string;
  const first = organizations[0];
  if (first !== undefined) {
    where =
      organizations.length === 1
        ? sanitizeNamePart(first.name || first.id)
        : `${sanitizeNamePart(first.name || first.id).slice(0, 24)}-and-${organizations.length - 1}-more`;
  } else if (scheduled) {
    where = 'global';
  } else {
    where = sanitizeNamePart(task.project);
  }
  const scanName = task.payload?.['scanName'];
  const scan = sanitizeNamePart(typeof scanName === 'string' ? scanName : (task.scanId ?? task.kind));
  const short =
    task.id
      .replace(/[^a-zA-Z0-9]/g, '')
      .slice(0, 12)
      .toLowerCase() || 'task';
  return `${sanitizeNamePart(prefix)}_${where}_${scan}_${short}-${task.attempt + 1}`;
}
