import { ScanplaneError } from '@scanplane/core';

/**
 * The environment variables the pull worker of the worker image reads ({@link readPullWorkerConfig}), by setting.
 *
 * @example
 * ```ts
 * import { PULL_WORKER_ENV } from '@scanplane/docker';
 * const env = { [PULL_WORKER_ENV.databaseUrl]: 'postgres://scanplane@127.0.0.1:5432/scanplane' };
 * ```
 */
export const PULL_WORKER_ENV = Object.freeze({
  /** Required: the PostgreSQL store (`postgres://user:password@host:5432/db`). */
  databaseUrl: 'SCANPLANE_DATABASE_URL',
  /** The store's schema. Default `scanplane`. */
  schema: 'SCANPLANE_SCHEMA',
  /** Required: the RabbitMQ broker (`amqp://user:password@host:5672/vhost`, or `amqps://`). */
  amqpUrl: 'SCANPLANE_AMQP_URL',
  /** The queue's prefix (`createRabbitQueue`'s `prefix`). Default `scanplane`. */
  queuePrefix: 'SCANPLANE_QUEUE_PREFIX',
  /** `quorum` (default) or `classic`: what the deployment's queues are (they must match). */
  queueType: 'SCANPLANE_QUEUE_TYPE',
  /** The queues' delivery limit (`createRabbitQueue`'s `deliveryLimit`; they must match). Default the adapter's, 5. */
  deliveryLimit: 'SCANPLANE_DELIVERY_LIMIT',
  /** Comma-separated task kinds taken from the queue. Default `tcp-connect`. */
  kinds: 'SCANPLANE_KINDS',
  /** Tasks run at once (the queue prefetch). Default 1. */
  concurrency: 'SCANPLANE_CONCURRENCY',
  /** The worker's id in the store and registry; the fleet sets it to the container's name. Default `<hostname>-<random>`. */
  workerId: 'SCANPLANE_WORKER_ID',
  /** How long a stopping worker lets running tasks finish before handing them back, in ms. Default 25000. */
  stopGraceMs: 'SCANPLANE_STOP_GRACE_MS',
});

/**
 * The pull worker's configuration, as {@link readPullWorkerConfig} reads it from the environment.
 *
 * @example
 * ```ts
 * import type { PullWorkerConfig } from '@scanplane/docker';
 * const config: PullWorkerConfig = {
 *   databaseUrl: 'postgres://scanplane@127.0.0.1:5432/scanplane', schema: 'scanplane',
 *   amqpUrl: 'amqp://guest:guest@127.0.0.1:5672', queuePrefix: 'scanplane', queueType: 'quorum',
 *   kinds: ['tcp-connect'], concurrency: 4, stopGraceMs: 25_000,
 * };
 * ```
 */
export interface PullWorkerConfig {
  /** `SCANPLANE_DATABASE_URL`: the PostgreSQL store. */
  databaseUrl: string;
  /** `SCANPLANE_SCHEMA`: the store's schema. */
  schema: string;
  /** `SCANPLANE_AMQP_URL`: the RabbitMQ broker. */
  amqpUrl: string;
  /** `SCANPLANE_QUEUE_PREFIX`: the queue's prefix. */
  queuePrefix: string;
  /** `SCANPLANE_QUEUE_TYPE`: the queues' type. */
  queueType: 'quorum' | 'classic';
  /** `SCANPLANE_DELIVERY_LIMIT`: the queues' delivery limit, when set. */
  deliveryLimit?: number;
  /** `SCANPLANE_KINDS`: the task kinds taken. */
  kinds: string[];
  /** `SCANPLANE_CONCURRENCY`: tasks run at once. */
  concurrency: number;
  /** `SCANPLANE_WORKER_ID`: the worker's id, when set. */
  workerId?: string;
  /** `SCANPLANE_STOP_GRACE_MS`: the grace of a graceful stop. */
  stopGraceMs: number;
}

/**
 * Options of {@link readPullWorkerConfig}.
 *
 * @example
 * ```ts
 * import type { ReadPullWorkerConfigOptions } from '@scanplane/docker';
 * const options: ReadPullWorkerConfigOptions = { knownKinds: ['tcp-connect', 'diagnostic'] };
 * ```
 */
export interface ReadPullWorkerConfigOptions {
  /** Kinds the worker has handlers for: any other kind in `SCANPLANE_KINDS` is refused. Default: any valid name. */
  knownKinds?: readonly string[];
}

/** A queue or kind name (what `@scanplane/rabbitmq` accepts: it names exchanges and queues). */
const NAME_PART = /^[A-Za-z0-9_.:-]{1,120}$/;
/** A PostgreSQL schema name (what `@scanplane/postgres` accepts). */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;
/** A worker id: printable, no spaces. */
const WORKER_ID = /^[\x21-\x7e]{1,200}$/;

/** The scheme of a URL-looking value, never the rest (it may hold a password). */
function schemeOf(value: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value);
  return match === null ? 'no scheme' : `${match[1]}:`;
}

/**
 * Reads and checks the pull worker's configuration from environment variables ({@link PULL_WORKER_ENV}). Every
 * problem is collected, so one message names all of them; URLs are never echoed (they may hold passwords).
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming each missing or invalid variable (`details.problems`: one
 *   `{ variable, problem }` per variable).
 * @example
 * ```ts
 * import { readPullWorkerConfig } from '@scanplane/docker';
 * const config = readPullWorkerConfig({
 *   SCANPLANE_DATABASE_URL: 'postgres://scanplane@127.0.0.1:5432/scanplane',
 *   SCANPLANE_AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
 *   SCANPLANE_CONCURRENCY: '4',
 * });
 * config.kinds; // ['tcp-connect']
 * ```
 */
export function readPullWorkerConfig(
  env: Record<string, string | undefined> = process.env,
  options: ReadPullWorkerConfigOptions = {},
): PullWorkerConfig {
  const problems: Array<{ variable: string; problem: string }> = [];
  const problem = (variable: string, text: string): void => {
    problems.push({ variable, problem: text });
  };
  const read = (variable: string): string | undefined => {
    const value = env[variable]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const url = (variable: string, schemes: readonly string[], example: string): string => {
    const value = read(variable);
    if (value === undefined) {
      problem(variable, `${variable} is not set: give the ${schemes[0]}// URL (${example})`);
      return '';
    }
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      // reported below
    }
    if (parsed === undefined || !schemes.includes(parsed.protocol) || parsed.hostname === '') {
      problem(
        variable,
        `${variable} must be a ${schemes.map((s) => `${s}//`).join(' or ')} URL with a host (${example}), got a value with ${schemeOf(value)}`,
      );
    }
    return value;
  };
  const integer = (variable: string, fallback: number, min: number, max: number): number => {
    const value = read(variable);
    if (value === undefined) return fallback;
    const number = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      problem(variable, `${variable} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return number;
  };
  const name = (variable: string, fallback: string, pattern: RegExp, rule: string): string => {
    const value = read(variable) ?? fallback;
    if (!pattern.test(value)) problem(variable, `${variable} ${JSON.stringify(value)} is not valid: ${rule}`);
    return value;
  };

  const databaseUrl = url(
    PULL_WORKER_ENV.databaseUrl,
    ['postgres:', 'postgresql:'],
    'postgres://user:password@host:5432/db',
  );
  const schema = name(
    PULL_WORKER_ENV.schema,
    'scanplane',
    SCHEMA,
    'use lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters',
  );
  const amqpUrl = url(PULL_WORKER_ENV.amqpUrl, ['amqp:', 'amqps:'], 'amqp://user:password@host:5672');
  const queuePrefix = name(
    PULL_WORKER_ENV.queuePrefix,
    'scanplane',
    NAME_PART,
    'use 1-120 letters, digits, "_", ".", ":" and "-"',
  );
  const queueTypeText = read(PULL_WORKER_ENV.queueType) ?? 'quorum';
  if (queueTypeText !== 'quorum' && queueTypeText !== 'classic') {
    problem(
      PULL_WORKER_ENV.queueType,
      `${PULL_WORKER_ENV.queueType} must be "quorum" or "classic", got ${JSON.stringify(queueTypeText)}`,
    );
  }
  const queueType = queueTypeText === 'classic' ? 'classic' : 'quorum';
  const hasDeliveryLimit = read(PULL_WORKER_ENV.deliveryLimit) !== undefined;
  const deliveryLimit = integer(PULL_WORKER_ENV.deliveryLimit, 5, 0, 1_000_000);

  const kindsText = read(PULL_WORKER_ENV.kinds) ?? 'tcp-connect';
  const kinds = [
    ...new Set(
      kindsText
        .split(',')
        .map((kind) => kind.trim())
        .filter((kind) => kind !== ''),
    ),
  ];
  if (kinds.length === 0) {
    problem(PULL_WORKER_ENV.kinds, `${PULL_WORKER_ENV.kinds} names no kind: give e.g. "tcp-connect"`);
  }
  for (const kind of kinds) {
    if (!NAME_PART.test(kind)) {
      problem(
        PULL_WORKER_ENV.kinds,
        `${PULL_WORKER_ENV.kinds}: kind ${JSON.stringify(kind)} is not valid: use 1-120 letters, digits, "_", ".", ":" and "-"`,
      );
    } else if (options.knownKinds !== undefined && !options.knownKinds.includes(kind)) {
      problem(
        PULL_WORKER_ENV.kinds,
        `${PULL_WORKER_ENV.kinds}: no handler runs kind ${JSON.stringify(kind)} (this worker runs ${options.knownKinds.join(', ')})`,
      );
    }
  }
  const concurrency = integer(PULL_WORKER_ENV.concurrency, 1, 1, 1000);
  const workerIdText = read(PULL_WORKER_ENV.workerId);
  if (workerIdText !== undefined && !WORKER_ID.test(workerIdText)) {
    problem(
      PULL_WORKER_ENV.workerId,
      `${PULL_WORKER_ENV.workerId} must be 1-200 printable characters without spaces, got ${JSON.stringify(workerIdText)}`,
    );
  }
  const stopGraceMs = integer(PULL_WORKER_ENV.stopGraceMs, 25_000, 0, 86_400_000);

  if (problems.length > 0) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `the pull worker's configuration is invalid: ${problems.map((p) => p.problem).join('; ')}`,
      { component: 'docker', details: { problems } },
    );
  }
  const config: PullWorkerConfig = {
    databaseUrl,
    schema,
    amqpUrl,
    queuePrefix,
    queueType,
    kinds,
    concurrency,
    stopGraceMs,
  };
  if (hasDeliveryLimit) config.deliveryLimit = deliveryLimit;
  if (workerIdText !== undefined) config.workerId = workerIdText;
  return config;
}
