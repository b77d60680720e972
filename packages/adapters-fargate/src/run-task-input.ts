import { createHash } from 'node:crypto';
import type { ContainerOverride, KeyValuePair, Tag, TaskOverride } from '@aws-sdk/client-ecs';
import { COMMAND_OPTIONS_VARIABLE, commandOptionsFor, type ScanTask } from '@scanplane/core';
import { payloadTooLargeError } from './fargate-errors.js';

/**
 * ECS's limit on a RunTask call's `overrides`, in characters of their JSON (formatting included).
 *
 * @example
 * ```ts
 * import { OVERRIDES_LIMIT } from '@scanplane/fargate';
 * OVERRIDES_LIMIT; // 8192
 * ```
 */
export const OVERRIDES_LIMIT = 8192;

/**
 * The environment variable naming the scan task a Fargate task runs (always set, in both payload modes): a worker
 * launched in reference mode reads its task from the store with it.
 *
 * @example
 * ```ts
 * import { TASK_ID_VARIABLE } from '@scanplane/fargate';
 * process.env[TASK_ID_VARIABLE]; // '3f0c…'
 * ```
 */
export const TASK_ID_VARIABLE = 'SCANPLANE_TASK_ID';

/**
 * The tag keys every Fargate task launched for a scan task carries (RunTask `tags`).
 *
 * @example
 * ```ts
 * import { TAGS } from '@scanplane/fargate';
 * TAGS.taskId; // 'scanplane:task-id'
 * ```
 */
export const TAGS = Object.freeze({
  /** The scan task's id. */
  taskId: 'scanplane:task-id',
  /** Its attempt. */
  attempt: 'scanplane:attempt',
  /** Its kind (scan type). */
  kind: 'scanplane:kind',
  /** Its scan definition, for scheduled work. */
  scanId: 'scanplane:scan-id',
  /** Its organizations, space-separated (cut to 256 characters). */
  organizations: 'scanplane:organizations',
  /** Its project. */
  project: 'scanplane:project',
  /** `task` (push mode) or `worker` (pull mode). */
  role: 'scanplane:role',
});

/**
 * CPU and memory of a Fargate task, as task-level overrides (valid Fargate combinations only: 256 CPU units with
 * 512–2048 MiB, 1024 with 2048–8192, …).
 *
 * @example
 * ```ts
 * import type { FargateResources } from '@scanplane/fargate';
 * const large: FargateResources = { cpu: 1024, memoryMiB: 4096 };
 * ```
 */
export interface FargateResources {
  /** CPU units (1024 = one vCPU). */
  cpu?: number;
  /** Memory in MiB. */
  memoryMiB?: number;
}

/** What the launcher passes to {@link buildTaskOverrides}. */
export interface OverridesInput {
  containerName: string;
  payloadMode: 'inline' | 'reference';
  environment: Record<string, string>;
  resources?: FargateResources | undefined;
}

/** The RunTask overrides of one scan task, with its size checked against {@link OVERRIDES_LIMIT}. */
export function buildTaskOverrides(task: ScanTask, input: OverridesInput): TaskOverride {
  const environment: KeyValuePair[] = [
    ...Object.entries(input.environment).map(([name, value]) => ({ name, value })),
    { name: TASK_ID_VARIABLE, value: task.id },
  ];
  if (input.payloadMode === 'inline') {
    environment.push({ name: COMMAND_OPTIONS_VARIABLE, value: JSON.stringify(commandOptionsFor(task)) });
  }
  const container: ContainerOverride = { name: input.containerName, environment };
  const overrides: TaskOverride = { containerOverrides: [container] };
  if (input.resources?.cpu !== undefined) overrides.cpu = String(input.resources.cpu);
  if (input.resources?.memoryMiB !== undefined) overrides.memory = String(input.resources.memoryMiB);
  const characters = overridesSize(overrides);
  if (characters > OVERRIDES_LIMIT) throw payloadTooLargeError(task.id, characters, OVERRIDES_LIMIT);
  return overrides;
}

/** The size ECS counts: the overrides' JSON. */
export function overridesSize(overrides: TaskOverride): number {
  return JSON.stringify(overrides).length;
}

const TAG_VALUE = /[^\p{L}\p{N} +\-=._:/@]/gu;
const tagValue = (value: string): string => value.replace(TAG_VALUE, '_').slice(0, 256);

/** The tags of one scan task's Fargate task: the fixed {@link TAGS} plus the launcher's own. */
export function tagsFor(task: ScanTask, extra: Record<string, string>): Tag[] {
  const tags: Tag[] = Object.entries(extra).map(([key, value]) => ({ key, value: tagValue(value) }));
  const add = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') tags.push({ key, value: tagValue(value) });
  };
  add(TAGS.role, 'task');
  add(TAGS.taskId, task.id);
  add(TAGS.attempt, String(task.attempt));
  add(TAGS.kind, task.kind);
  add(TAGS.project, task.project);
  add(TAGS.scanId, task.scanId);
  add(TAGS.organizations, task.organizationIds?.join(' '));
  return tags.slice(0, 50);
}

/**
 * The RunTask `clientToken` of one attempt of a task: `<task id>-<attempt>`, or a SHA-256 digest of it when longer
 * than ECS's 64 characters. A retried call with the same token never starts a second task.
 *
 * @example
 * ```ts
 * import { clientTokenFor } from '@scanplane/fargate';
 * clientTokenFor({ id: 't1', attempt: 2 }); // 't1-2'
 * ```
 */
export function clientTokenFor(task: { id: string; attempt: number }): string {
  const token = `${task.id}-${task.attempt}`;
  if (token.length <= 64 && /^[\w-]+$/.test(token)) return token;
  return createHash('sha256').update(token).digest('hex').slice(0, 64);
}
