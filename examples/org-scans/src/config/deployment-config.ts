import { parseTargetEntry, ScanplaneError } from '@scanplane/core';
import { ORG_SCANS_IMAGE } from '../image/worker-image.js';
import { type Env, envReader } from './env-reader.js';

/**
 * The deployment's settings, read from the environment by {@link readDeploymentConfig}.
 *
 * @example
 * ```ts
 * import { readDeploymentConfig } from './deployment-config.js';
 * const config = readDeploymentConfig({ ORG_SCANS_PORT: '0' });
 * config.launcher; // 'docker'
 * ```
 */
export interface DeploymentConfig {
  /** PostgreSQL (`DATABASE_URL`). */
  databaseUrl: string;
  /** The deployment's own schema (`ORG_SCANS_SCHEMA`). */
  schema: string;
  /** Where workers run (`SCANPLANE_LAUNCHER`): Docker containers or Fargate tasks. */
  launcher: 'docker' | 'fargate';
  /** The operators' bearer token (`ORG_SCANS_TOKEN`); undefined: one is generated at start. */
  operatorToken: string | undefined;
  /** The API's address (`ORG_SCANS_HOST`, `ORG_SCANS_PORT`; port 0 picks a free one). */
  host: string;
  /** The API's port. */
  port: number;
  /** Seconds between scheduler ticks (`ORG_SCANS_TICK_SECONDS`; Crossfeed: 300 on AWS, 30 locally). */
  tickSeconds: number;
  /** Most scan tasks running at once (`ORG_SCANS_MAX_CONCURRENCY`; Crossfeed's `FARGATE_MAX_CONCURRENCY`). */
  maxConcurrency: number;
  /** Organizations per task (`ORG_SCANS_ORGS_PER_TASK`; Crossfeed's `SCHEDULER_ORGS_PER_SCANTASK`). */
  organizationsPerTask: number;
  /** The workers' allow-list (`ORG_SCANS_ALLOW`, comma-separated blocks; empty: none). Default `127.0.0.1`. */
  allow: string[];
  /** Docker settings (`ORG_SCANS_IMAGE`, `ORG_SCANS_BASE_IMAGE`, `ORG_SCANS_NETWORK`, `ORG_SCANS_OWNER`). */
  docker: {
    /** The org-scans worker image (built at start when missing or stale). */
    image: string;
    /** The `@scanplane/docker` image it is built on. */
    baseImage: string;
    /** `host` (reach 127.0.0.1) or `none`, or a network the operator made. */
    network: string;
    /** The containers' owner label: launchers of one owner manage the same containers. */
    owner: string;
  };
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Reads and checks the deployment's settings. Every variable has a default fit for this machine (PostgreSQL on
 * 127.0.0.1:5432, Docker, scans allowed on 127.0.0.1 only); Fargate's own variables are read by
 * `fargateLauncherFromEnv`.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` naming the variable (`details.where`) and the value expected.
 * @example
 * ```ts
 * import { readDeploymentConfig } from './deployment-config.js';
 * const config = readDeploymentConfig(process.env);
 * ```
 */
export function readDeploymentConfig(env: Env): DeploymentConfig {
  const read = envReader(env);
  const schema = read.string('ORG_SCANS_SCHEMA', 'org_scans');
  if (!SCHEMA.test(schema)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `ORG_SCANS_SCHEMA: '${schema}' is not a schema name (lower-case letters, digits, underscores)`,
      { details: { where: 'ORG_SCANS_SCHEMA' } },
    );
  }
  const databaseUrl = read.string('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/postgres');
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      'DATABASE_URL: must start with postgres:// or postgresql://',
      {
        details: { where: 'DATABASE_URL' },
      },
    );
  }
  const allow = read.list('ORG_SCANS_ALLOW', ['127.0.0.1']);
  for (const [index, block] of allow.entries()) {
    const parsed = parseTargetEntry(block);
    if (!parsed.ok || parsed.entry.kind === 'hostname') {
      throw new ScanplaneError(
        'TARGET_INVALID',
        `ORG_SCANS_ALLOW[${index}]: '${block}' is not an address block${parsed.ok ? '' : ` (${parsed.message})`}`,
        { details: { where: `ORG_SCANS_ALLOW[${index}]` } },
      );
    }
  }
  const token = read.optional('ORG_SCANS_TOKEN');
  if (token !== undefined && token.length < 16) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'ORG_SCANS_TOKEN: use at least 16 characters', {
      details: { where: 'ORG_SCANS_TOKEN' },
    });
  }
  return {
    databaseUrl,
    schema,
    launcher: read.oneOf('SCANPLANE_LAUNCHER', ['docker', 'fargate'] as const, 'docker'),
    operatorToken: token,
    host: read.string('ORG_SCANS_HOST', '127.0.0.1'),
    port: read.integer('ORG_SCANS_PORT', 8787, { min: 0, max: 65_535 }),
    tickSeconds: read.integer('ORG_SCANS_TICK_SECONDS', 60, { min: 1, max: 86_400 }),
    maxConcurrency: read.integer('ORG_SCANS_MAX_CONCURRENCY', 8, { min: 1, max: 10_000 }),
    organizationsPerTask: read.integer('ORG_SCANS_ORGS_PER_TASK', 2, { min: 1, max: 1000 }),
    allow,
    docker: {
      image: read.string('ORG_SCANS_IMAGE', ORG_SCANS_IMAGE),
      baseImage: read.string('ORG_SCANS_BASE_IMAGE', 'scanplane-worker:dev'),
      network: read.string('ORG_SCANS_NETWORK', 'host'),
      owner: read.string('ORG_SCANS_OWNER', `org-scans-${schema}`.replaceAll('_', '-')),
    },
  };
}

/**
 * A connection string without its password, for messages.
 *
 * @example
 * ```ts
 * import { redactUrl } from './deployment-config.js';
 * redactUrl('postgres://app:secret@db:5432/scans'); // 'postgres://app:***@db:5432/scans'
 * ```
 */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
