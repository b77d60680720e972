import type { PlatformEvent } from '@scanplane/core';

/**
 * One container in an "ECS Task State Change" event's `detail.containers`.
 *
 * @example
 * ```ts
 * import type { EcsEventContainer } from '@scanplane/fargate';
 * const worker: EcsEventContainer = { name: 'worker', lastStatus: 'STOPPED', exitCode: 0 };
 * ```
 */
export interface EcsEventContainer {
  /** The container's name in the task definition. */
  name?: string;
  /** `PENDING`, `RUNNING`, `STOPPED`. */
  lastStatus?: string;
  /** Its exit code, once stopped. */
  exitCode?: number;
  /** Why it stopped (`CannotPullContainerError: …`). */
  reason?: string;
}

/**
 * The `detail` of an EventBridge "ECS Task State Change" event (the fields the launcher reads; AWS sends more).
 *
 * @example
 * ```ts
 * import type { EcsTaskStateDetail } from '@scanplane/fargate';
 * const detail: EcsTaskStateDetail = {
 *   taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/scans/0b69d5c0d7a74b4a9b2f6a1e7c0f1a2b',
 *   clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/scans',
 *   lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedBy: 'scanplane', version: 3,
 * };
 * ```
 */
export interface EcsTaskStateDetail {
  /** The task's ARN. */
  taskArn: string;
  /** Its cluster's ARN. */
  clusterArn?: string;
  /** `PROVISIONING`, `PENDING`, `ACTIVATING`, `RUNNING`, `DEACTIVATING`, `STOPPING`, `DEPROVISIONING`, `STOPPED`. */
  lastStatus: string;
  /** `RUNNING` or `STOPPED`. */
  desiredStatus?: string;
  /** RunTask's `startedBy`. */
  startedBy?: string;
  /** Increases with every change of the task; duplicates carry the same version. */
  version?: number;
  /** `TaskFailedToStart`, `EssentialContainerExited`, `UserInitiated`, `SpotInterruption`, … */
  stopCode?: string;
  /** Why it stopped. */
  stoppedReason?: string;
  /** Its containers. */
  containers?: EcsEventContainer[];
  /** RunTask's overrides, with the container environment. */
  overrides?: {
    /** Per container. */
    containerOverrides?: Array<{
      /** The container. */
      name?: string;
      /** Its environment overrides. */
      environment?: Array<{
        /** Variable name. */
        name?: string;
        /** Its value. */
        value?: string;
      }>;
    }>;
  };
  /** ISO time the task was created. */
  createdAt?: string;
  /** ISO time it started running. */
  startedAt?: string;
  /** ISO time it stopped. */
  stoppedAt?: string;
  /** ISO time of this change. */
  updatedAt?: string;
}

/**
 * An EventBridge event as delivered to a Lambda function or (as the body of a message) to an SQS queue.
 *
 * @example
 * ```ts
 * import type { EcsTaskStateChangeEvent } from '@scanplane/fargate';
 * declare const event: EcsTaskStateChangeEvent;
 * if (event['detail-type'] === 'ECS Task State Change') console.log(event.detail.lastStatus);
 * ```
 */
export interface EcsTaskStateChangeEvent {
  /** The envelope's version (`0`). */
  version?: string;
  /** The event's id. */
  id?: string;
  /** `ECS Task State Change`. */
  'detail-type': string;
  /** `aws.ecs`. */
  source: string;
  /** The account. */
  account?: string;
  /** ISO time. */
  time?: string;
  /** The region. */
  region?: string;
  /** The task ARN. */
  resources?: string[];
  /** The task's state. */
  detail: EcsTaskStateDetail;
}

/**
 * Reads an "ECS Task State Change" event from what a Lambda function or an SQS consumer received: the event object,
 * or its JSON text (an SQS message body). Anything else (another detail type, another source) is `undefined`.
 *
 * @example
 * ```ts
 * import { parseTaskStateChange } from '@scanplane/fargate';
 * declare const body: string; // an SQS message body
 * const event = parseTaskStateChange(body);
 * if (event !== undefined) console.log(event.detail.taskArn, event.detail.lastStatus);
 * ```
 */
export function parseTaskStateChange(input: unknown): EcsTaskStateChangeEvent | undefined {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Partial<EcsTaskStateChangeEvent>;
  if (event['detail-type'] !== 'ECS Task State Change' || event.source !== 'aws.ecs') return undefined;
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null) return undefined;
  if (typeof detail.taskArn !== 'string' || typeof detail.lastStatus !== 'string') return undefined;
  return event as EcsTaskStateChangeEvent;
}

/** A value of the container environment in the detail's overrides. */
export function overrideValue(detail: EcsTaskStateDetail, name: string): string | undefined {
  for (const container of detail.overrides?.containerOverrides ?? []) {
    for (const pair of container.environment ?? []) if (pair.name === name) return pair.value;
  }
  return undefined;
}

const ms = (text: string | Date | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = text instanceof Date ? text.getTime() : Date.parse(text);
  return Number.isNaN(value) ? undefined : value;
};

/** The facts of a stopped task, from an event or from DescribeTasks. */
export interface StoppedFacts {
  taskArn: string;
  containerName: string;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  containers: readonly EcsEventContainer[];
  stoppedAt?: string | Date | undefined;
  version?: number | undefined;
  /** The launcher's own stop reason, when it stopped the task. */
  stopRequested?: string | undefined;
}

const CAPACITY = /capacity|RESOURCE:|insufficient|ENI|ResourceInitializationError|timeout/i;

/**
 * The platform event of a STOPPED task: the essential container's exit 0 → `finished`; a stop the launcher asked for
 * → `failed` `CANCELLED`; `SpotInterruption` / `TerminationNotice` → `failed`, retryable; a start failure
 * (`TaskFailedToStart`) → `failed` `LAUNCH_FAILED`, retryable when capacity or provisioning was the cause; exit 75 →
 * retryable; any other exit → `TASK_FAILED` naming the code.
 */
export function stoppedEvent(facts: StoppedFacts): PlatformEvent {
  const at = ms(facts.stoppedAt) ?? Date.now();
  const container = facts.containers.find((candidate) => candidate.name === facts.containerName);
  const exitCode = container?.exitCode;
  const version = facts.version === undefined ? {} : { version: facts.version };
  const details = {
    taskArn: facts.taskArn,
    ...(facts.stopCode === undefined ? {} : { stopCode: facts.stopCode }),
    ...(facts.stoppedReason === undefined ? {} : { stoppedReason: facts.stoppedReason }),
    ...(exitCode === undefined ? {} : { exitCode }),
  };
  const where = `Fargate task ${facts.taskArn}`;
  // A task that ended by itself before the stop took effect keeps its own outcome.
  if (
    facts.stopRequested !== undefined &&
    facts.stopCode !== 'EssentialContainerExited' &&
    facts.stopCode !== 'TaskFailedToStart'
  ) {
    return {
      type: 'failed',
      at,
      ...version,
      reason: `${where} stopped: ${facts.stopRequested}`,
      error: { code: 'CANCELLED', message: facts.stopRequested, retryable: false, details },
    };
  }
  if (facts.stopCode === 'SpotInterruption' || facts.stopCode === 'TerminationNotice') {
    const message = `${where} was interrupted (${facts.stopCode}): ${facts.stoppedReason ?? 'capacity reclaimed'}`;
    return {
      type: 'failed',
      at,
      ...version,
      reason: message,
      error: {
        code: 'TASK_FAILED',
        message,
        retryable: true,
        details: { ...details, reason: 'spot-interruption' },
      },
    };
  }
  if (
    facts.stopCode === 'TaskFailedToStart' ||
    (exitCode === undefined && facts.stopCode !== 'UserInitiated')
  ) {
    const why = facts.stoppedReason ?? container?.reason ?? 'no reason given';
    const message = `${where} failed to start: ${why}`;
    return {
      type: 'failed',
      at,
      ...version,
      reason: message,
      error: {
        code: 'LAUNCH_FAILED',
        message,
        retryable: CAPACITY.test(why),
        details: { ...details, reason: CAPACITY.test(why) ? 'capacity-unavailable' : 'start-failed' },
      },
    };
  }
  if (facts.stopCode === 'UserInitiated' && exitCode !== 0) {
    const message = `${where} was stopped outside this launcher: ${facts.stoppedReason ?? 'stopped by user'}`;
    return {
      type: 'failed',
      at,
      ...version,
      reason: message,
      error: { code: 'CANCELLED', message, retryable: false, details },
    };
  }
  if (exitCode === 0) {
    return {
      type: 'finished',
      at,
      ...version,
      reason: `${where}: container ${facts.containerName} exited with code 0`,
    };
  }
  const message = `${where}: container ${facts.containerName} exited with code ${exitCode}${
    container?.reason ? ` (${container.reason})` : ''
  }`;
  return {
    type: 'failed',
    at,
    ...version,
    reason: message,
    error: { code: 'TASK_FAILED', message, retryable: exitCode === 75, details },
  };
}

/** Epoch milliseconds of an ISO time or Date. */
export const epochMs = ms;
