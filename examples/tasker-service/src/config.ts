import { readFileSync } from 'node:fs';
import { ScanplaneError } from '@scanplane/core';
import type { TaskerServiceOptions } from './service.js';

/**
 * The service's configuration as `main.ts` reads it from the environment.
 *
 * @example
 * ```ts
 * import type { ServiceConfig } from './config.js';
 * const show = (config: ServiceConfig) => `${config.host}:${config.port}`;
 * ```
 */
export interface ServiceConfig {
  /** What {@link startTaskerService} gets. */
  service: TaskerServiceOptions;
  /** `PORT`. */
  port: number;
  /** `HOST`. */
  host: string;
  /** `DEMO_PROJECT`: a project a token is printed for at start (empty: none). */
  demoProject: string | undefined;
  /** Whether `ADMIN_TOKEN` was unset and one was generated for this run. */
  adminTokenGenerated: boolean;
}

/**
 * The environment variables, with their defaults:
 *
 * | Variable | Default | |
 * | --- | --- | --- |
 * | `DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/postgres` | PostgreSQL |
 * | `AMQP_URL` | `amqp://guest:guest@127.0.0.1:5672` | RabbitMQ |
 * | `PORT`, `HOST` | `8001`, `127.0.0.1` | where the API listens |
 * | `WORKERS`, `WORKER_CONCURRENCY` | `2`, `16` | worker processes, tasks each runs at once |
 * | `WORKER_KINDS` | `tcp-connect,nmap` | the kinds (modes) served |
 * | `ADMIN_TOKEN` | generated for the run | the operator's token (≥ 16 characters) |
 * | `TLS_CERT`, `TLS_KEY` | none | PEM files: serve HTTPS |
 * | `STORE_SCHEMA`, `SERVICE_SCHEMA`, `QUEUE_PREFIX` | `scanplane`, `tasker`, `tasker` | names on the servers |
 * | `BODY_LIMIT` | `8388608` | largest request body, bytes |
 * | `DEMO_PROJECT` | `demo` | a token is printed for it at start; empty for none |
 * | `DASHBOARD` | `1` | `0` to leave the dashboard out |
 * | `TASK_LEASE_MS`, `REAPER_INTERVAL_MS` | `30000`, `5000` | a silent worker's task is retried after its lease |
 * | `TCP_TIMEOUT_MS` | `1000` | TCP connect timeout per probe |
 * | `LOG` | `0` | `1` for Fastify's request log |
 */
export const SERVICE_ENV = [
  'DATABASE_URL',
  'AMQP_URL',
  'PORT',
  'HOST',
  'WORKERS',
  'WORKER_CONCURRENCY',
  'WORKER_KINDS',
  'ADMIN_TOKEN',
  'TLS_CERT',
  'TLS_KEY',
  'STORE_SCHEMA',
  'SERVICE_SCHEMA',
  'QUEUE_PREFIX',
  'BODY_LIMIT',
  'DEMO_PROJECT',
  'DASHBOARD',
  'TASK_LEASE_MS',
  'REAPER_INTERVAL_MS',
  'TCP_TIMEOUT_MS',
  'LOG',
] as const;

/**
 * Reads the configuration from environment variables ({@link SERVICE_ENV}), collecting every problem.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming each invalid variable (`details.problems`).
 * @example
 * ```ts
 * import { readServiceConfig } from './config.js';
 * const config = readServiceConfig({ PORT: '8443', WORKERS: '4', ADMIN_TOKEN: 'a-long-operator-token' });
 * ```
 */
export function readServiceConfig(
  env: Record<string, string | undefined>,
  generateToken: () => string,
): ServiceConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return parsed;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be 1 or 0, got ${JSON.stringify(raw)}`);
    return fallback;
  };
  const file = (name: string): string | undefined => {
    const path = value(name);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      problems.push(`${name}: cannot read ${path}: ${(error as Error).message}`);
      return undefined;
    }
  };

  let adminToken = value('ADMIN_TOKEN');
  const adminTokenGenerated = adminToken === undefined;
  if (adminToken === undefined) adminToken = generateToken();
  else if (adminToken.length < 16) problems.push('ADMIN_TOKEN must be at least 16 characters long');
  const cert = file('TLS_CERT');
  const key = file('TLS_KEY');
  if ((value('TLS_CERT') === undefined) !== (value('TLS_KEY') === undefined)) {
    problems.push('TLS_CERT and TLS_KEY go together: give both or neither');
  }
  const kinds = (value('WORKER_KINDS') ?? 'tcp-connect,nmap').split(',').map((kind) => kind.trim());
  for (const kind of kinds) {
    if (kind !== 'tcp-connect' && kind !== 'nmap')
      problems.push(`WORKER_KINDS: unknown kind ${JSON.stringify(kind)}`);
  }
  const service: TaskerServiceOptions = {
    databaseUrl: value('DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    amqpUrl: value('AMQP_URL') ?? 'amqp://guest:guest@127.0.0.1:5672',
    storeSchema: value('STORE_SCHEMA') ?? 'scanplane',
    serviceSchema: value('SERVICE_SCHEMA') ?? 'tasker',
    queuePrefix: value('QUEUE_PREFIX') ?? 'tasker',
    adminToken,
    kinds,
    workers: integer('WORKERS', 2, 0, 64),
    workerConcurrency: integer('WORKER_CONCURRENCY', 16, 1, 1000),
    bodyLimit: integer('BODY_LIMIT', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    dashboard: flag('DASHBOARD', true),
    logger: flag('LOG', false),
    taskTimeouts: { leaseMs: integer('TASK_LEASE_MS', 30_000, 1000, 3_600_000) },
    reaperIntervalMs: integer('REAPER_INTERVAL_MS', 5000, 100, 600_000),
    tcpTimeoutMs: integer('TCP_TIMEOUT_MS', 1000, 1, 600_000),
  };
  if (cert !== undefined && key !== undefined) service.tls = { cert, key };
  const config: ServiceConfig = {
    service,
    port: integer('PORT', 8001, 0, 65_535),
    host: value('HOST') ?? '127.0.0.1',
    demoProject: env['DEMO_PROJECT'] === undefined ? 'demo' : value('DEMO_PROJECT'),
    adminTokenGenerated,
  };
  if (problems.length > 0) {
    throw new ScanplaneError('INVALID_ARGUMENT', `invalid configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return config;
}
