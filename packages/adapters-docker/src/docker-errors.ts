import { ScanplaneError } from '@scanplane/core';

/**
 * Why a Docker operation failed, as `details.reason` of the `ScanplaneError` this package throws or records:
 * `image-missing` (`NOT_FOUND`: the image is not on the daemon; nothing is ever pulled), `daemon-unreachable`
 * (`UNAVAILABLE`, retryable: no daemon answers at the endpoint), `name-clash` (`CONFLICT`: another task's container
 * has the name), `payload-too-large` (`LAUNCH_FAILED`: the command options do not fit one environment variable),
 * `docker-api` (`LAUNCH_FAILED`: anything else the daemon refused).
 *
 * @example
 * ```ts
 * import { dockerErrorReason, type DockerErrorReason } from '@scanplane/docker';
 * declare const error: unknown;
 * const reason: DockerErrorReason | undefined = dockerErrorReason(error);
 * ```
 */
export type DockerErrorReason =
  | 'image-missing'
  | 'daemon-unreachable'
  | 'name-clash'
  | 'payload-too-large'
  | 'docker-api';

const COMPONENT = 'docker';

/**
 * The `details.reason` of an error raised by this package (a `ScanplaneError` or a recorded task error), or
 * `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { dockerErrorReason } from '@scanplane/docker';
 * declare const launcher: import('@scanplane/docker').DockerLauncher;
 * try {
 *   await launcher.checkImage();
 * } catch (error) {
 *   if (dockerErrorReason(error) === 'image-missing') console.error('build the worker image first');
 * }
 * ```
 */
export function dockerErrorReason(error: unknown): DockerErrorReason | undefined {
  const details = (error as { details?: Record<string, unknown> } | undefined)?.details;
  const reason = details?.['reason'];
  return typeof reason === 'string' &&
    ['image-missing', 'daemon-unreachable', 'name-clash', 'payload-too-large', 'docker-api'].includes(reason)
    ? (reason as DockerErrorReason)
    : undefined;
}

/** The command that builds the worker image, for messages. */
export const BUILD_HINT =
  'build it locally with `node packages/adapters-docker/scripts/build-worker-image.mjs --tag <image>` ' +
  '(or `npx scanplane-docker-image --tag <image>`; nothing is pulled from a registry)';

/** `NOT_FOUND`: the image is not on the daemon. */
export function imageMissingError(image: string, endpoint: string, cause?: unknown): ScanplaneError {
  return new ScanplaneError(
    'NOT_FOUND',
    `image '${image}' is not on the Docker daemon at ${endpoint}: ${BUILD_HINT}`,
    {
      component: COMPONENT,
      retryable: false,
      cause,
      details: { reason: 'image-missing', image, endpoint },
    },
  );
}

/** `UNAVAILABLE` (retryable): no daemon answers at the endpoint. */
export function daemonUnreachableError(endpoint: string, cause: unknown): ScanplaneError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ScanplaneError(
    'UNAVAILABLE',
    `the Docker daemon at ${endpoint} is unreachable (${why}): start it, or point DOCKER_HOST or the socketPath option at a running one`,
    { component: COMPONENT, cause, details: { reason: 'daemon-unreachable', endpoint } },
  );
}

/** `CONFLICT`: a container of another task (or not scanplane's) already has the name. */
export function nameClashError(name: string, holder: string, endpoint: string): ScanplaneError {
  return new ScanplaneError(
    'CONFLICT',
    `container name '${name}' is already used on ${endpoint} by ${holder}: remove that container (docker rm -f ${name}) or use another namePrefix`,
    { component: COMPONENT, details: { reason: 'name-clash', name, holder, endpoint } },
  );
}

/** `LAUNCH_FAILED`: the command options are too large for one environment variable. */
export function payloadTooLargeError(taskId: string, bytes: number, limit: number): ScanplaneError {
  return new ScanplaneError(
    'LAUNCH_FAILED',
    `the command options of task ${taskId} are ${bytes} bytes, over the ${limit}-byte limit of one environment variable: pass ids, not data`,
    {
      component: COMPONENT,
      retryable: false,
      details: { reason: 'payload-too-large', taskId, bytes, limit },
    },
  );
}

/** The HTTP status of a dockerode error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Whether a dockerode error means the daemon could not be reached at all (no HTTP answer). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    statusOf(error) === undefined &&
    typeof code === 'string' &&
    [
      'ECONNREFUSED',
      'ENOENT',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'EACCES',
      'ENOTFOUND',
    ].includes(code)
  );
}

/** The daemon's own message of a dockerode error (its JSON `message`), else the error's message. */
export function dockerMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | undefined)?.json;
  if (json !== null && typeof json === 'object' && typeof json.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}

/** Any other daemon refusal, as `LAUNCH_FAILED` (retryable unless the daemon said the request is wrong). */
export function dockerApiError(what: string, endpoint: string, error: unknown): ScanplaneError {
  if (isUnreachable(error)) return daemonUnreachableError(endpoint, error);
  const status = statusOf(error);
  return new ScanplaneError('LAUNCH_FAILED', `${what} on ${endpoint} failed: ${dockerMessage(error)}`, {
    component: COMPONENT,
    retryable: status === undefined || status >= 500,
    cause: error,
    details: { reason: 'docker-api', endpoint, ...(status === undefined ? {} : { status }) },
  });
}
