import { ScanplaneError, type TaskError } from '@scanplane/core';

/**
 * Why a Fargate operation failed, as `details.reason` of the `ScanplaneError` or task error this package raises:
 * `LAUNCH_PAYLOAD_TOO_LARGE` (`LAUNCH_FAILED`, not retryable: the overrides exceed ECS's 8,192 characters),
 * `capacity-unavailable` (retryable: no Fargate capacity, `RESOURCE:*`, ENI or agent trouble), `throttled`
 * (retryable: RunTask kept throttling after every retry), `launch-refused` (not retryable: ECS refused the task,
 * `MISSING`, `ATTRIBUTE`, an invalid parameter, access denied), `ecs-unavailable` (retryable: no answer, or a
 * server error), `start-failed` (the task stopped before its container ran), `spot-interruption` (retryable).
 *
 * @example
 * ```ts
 * import { fargateErrorReason, type FargateErrorReason } from '@scanplane/fargate';
 * declare const error: unknown;
 * const reason: FargateErrorReason | undefined = fargateErrorReason(error);
 * ```
 */
export type FargateErrorReason =
  | 'LAUNCH_PAYLOAD_TOO_LARGE'
  | 'capacity-unavailable'
  | 'throttled'
  | 'launch-refused'
  | 'ecs-unavailable'
  | 'start-failed'
  | 'spot-interruption';

const REASONS: readonly string[] = [
  'LAUNCH_PAYLOAD_TOO_LARGE',
  'capacity-unavailable',
  'throttled',
  'launch-refused',
  'ecs-unavailable',
  'start-failed',
  'spot-interruption',
];

/** The component name in messages. */
export const COMPONENT = 'fargate';

/**
 * The `details.reason` of an error raised or recorded by this package, or `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { fargateErrorReason } from '@scanplane/fargate';
 * declare const result: import('@scanplane/core').LaunchResult;
 * if (!result.ok && fargateErrorReason(result.error) === 'LAUNCH_PAYLOAD_TOO_LARGE') console.error('use payloadMode: reference');
 * ```
 */
export function fargateErrorReason(error: unknown): FargateErrorReason | undefined {
  const details = (error as { details?: Record<string, unknown> } | undefined)?.details;
  const reason = details?.['reason'];
  return typeof reason === 'string' && REASONS.includes(reason) ? (reason as FargateErrorReason) : undefined;
}

/**
 * Whether an entry of RunTask's `failures[]` may succeed if tried again: capacity (`Capacity is unavailable at this
 * time`), `RESOURCE:CPU` / `RESOURCE:MEMORY` / `RESOURCE:ENI` and other `RESOURCE:*`, `AGENT`, throttling and timeouts
 * are retryable; `MISSING`, `ATTRIBUTE`, `INACTIVE` and anything unknown are fatal.
 *
 * @example
 * ```ts
 * import { isRetryableFailureReason } from '@scanplane/fargate';
 * isRetryableFailureReason('Capacity is unavailable at this time. Please try again later'); // true
 * isRetryableFailureReason('MISSING'); // false
 * ```
 */
export function isRetryableFailureReason(reason: string | undefined): boolean {
  if (reason === undefined) return false;
  return (
    /capacity|insufficient|RESOURCE:|^AGENT$|throttl|rate exceeded|timeout|timed out|try again/i.test(
      reason,
    ) && !/^(MISSING|ATTRIBUTE|INACTIVE)$/.test(reason)
  );
}

/** A RunTask `failures[]` entry as a task error. */
export function failureTaskError(
  taskId: string,
  failure: { arn?: string | undefined; reason?: string | undefined; detail?: string | undefined },
  cluster: string,
): TaskError {
  const retryable = isRetryableFailureReason(failure.reason);
  const reason = retryable ? 'capacity-unavailable' : 'launch-refused';
  const why = [failure.reason, failure.detail].filter((part) => part !== undefined && part !== '').join(': ');
  return {
    code: 'LAUNCH_FAILED',
    message: `ECS did not start task ${taskId} on cluster ${cluster}: ${why || 'no reason given'}`,
    retryable,
    details: {
      reason,
      cluster,
      ...(failure.reason === undefined ? {} : { ecsReason: failure.reason }),
      ...(failure.detail === undefined ? {} : { ecsDetail: failure.detail }),
      ...(failure.arn === undefined ? {} : { arn: failure.arn }),
    },
  };
}

/** `LAUNCH_FAILED` (not retryable, reason `LAUNCH_PAYLOAD_TOO_LARGE`): the overrides exceed ECS's limit. */
export function payloadTooLargeError(taskId: string, characters: number, limit: number): ScanplaneError {
  return new ScanplaneError(
    'LAUNCH_FAILED',
    `the RunTask overrides of task ${taskId} are ${characters} characters, over ECS's ${limit}-character limit: ` +
      "use payloadMode: 'reference' (only the task id travels; the worker reads its input from the store)",
    {
      component: COMPONENT,
      retryable: false,
      details: { reason: 'LAUNCH_PAYLOAD_TOO_LARGE', taskId, characters, limit },
    },
  );
}

/** The AWS error name of an SDK error (`ThrottlingException`). */
export function awsErrorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** The HTTP status of an SDK error. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata
    ?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Whether an SDK error is throttling (`ThrottlingException`, `TooManyRequestsException`, `RequestLimitExceeded`). */
export function isThrottling(error: unknown): boolean {
  const name = awsErrorName(error) ?? '';
  return /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/.test(name) || httpStatusOf(error) === 429;
}

/** Whether an SDK error may pass if the call is repeated: throttling, `ServerException`, 5xx, no answer. */
export function isTransient(error: unknown): boolean {
  if (isThrottling(error)) return true;
  const name = awsErrorName(error) ?? '';
  if (/ServerException|ServiceUnavailable|InternalFailure|InternalServerError/.test(name)) return true;
  const status = httpStatusOf(error);
  if (status !== undefined) return status >= 500;
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(
      code,
    )
  );
}

/** An ECS call that failed for good, as a `ScanplaneError`. */
export function ecsCallError(what: string, cluster: string, error: unknown): ScanplaneError {
  const message = error instanceof Error ? error.message : String(error);
  if (isThrottling(error)) {
    return new ScanplaneError(
      'UNAVAILABLE',
      `${what} on cluster ${cluster} kept being throttled: ${message}`,
      {
        component: COMPONENT,
        retryable: true,
        cause: error,
        details: { reason: 'throttled', cluster },
      },
    );
  }
  if (isTransient(error)) {
    return new ScanplaneError('UNAVAILABLE', `${what} on cluster ${cluster} failed: ${message}`, {
      component: COMPONENT,
      retryable: true,
      cause: error,
      details: { reason: 'ecs-unavailable', cluster, ...statusDetail(error) },
    });
  }
  return new ScanplaneError(
    'LAUNCH_FAILED',
    `${what} on cluster ${cluster} was refused: ${awsErrorName(error) ?? 'error'}: ${message}`,
    {
      component: COMPONENT,
      retryable: false,
      cause: error,
      details: { reason: 'launch-refused', cluster, ...statusDetail(error) },
    },
  );
}

function statusDetail(error: unknown): Record<string, unknown> {
  const status = httpStatusOf(error);
  const name = awsErrorName(error);
  return { ...(status === undefined ? {} : { status }), ...(name === undefined ? {} : { awsError: name }) };
}
