import { MAX_ENTRY_LENGTH, TASK_STATUSES } from '@scanplane/core';
import { PROJECT_NAME } from './project-tokens.js';

// JSON schemas of every route: request validation (Fastify's ajv, with unknown fields refused) and response
// serialisation, and the OpenAPI document @fastify/swagger builds from them.

/** Most target entries one request may carry. */
export const MAX_TARGETS_PER_REQUEST = 1_000_000;

const integer = { type: 'integer' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const text = { type: 'string' } as const;
const bigCount = {
  type: ['integer', 'string'],
  description: 'a count; a decimal string when it is beyond 2^53',
} as const;

/** The security requirement of routes that need a bearer token. */
const bearer = [{ bearerAuth: [] }];

/** Every error answer. */
export const errorSchema = {
  $id: 'ErrorBody',
  type: 'object',
  description: 'An error: a scanplane error code, the HTTP-level reason when there is one, what and where.',
  properties: {
    statusCode: integer,
    code: {
      type: 'string',
      description: 'a ScanplaneError code (TARGET_INVALID, PORTS_INVALID, NOT_FOUND, …)',
    },
    reason: {
      type: 'string',
      description:
        'missing_token, invalid_token, forbidden, body_too_large, unsupported_media_type, malformed_body, schema_violation, unknown_project, unknown_route',
    },
    message: text,
    retryable: { type: 'boolean' },
    details: { type: 'object', additionalProperties: true },
  },
  required: ['statusCode', 'code', 'message'],
} as const;

const errorRef = { $ref: 'ErrorBody#' } as const;

/** The 4xx/5xx answers every authenticated route may give. */
const authErrors = {
  400: errorRef,
  401: errorRef,
  403: errorRef,
  404: errorRef,
  500: errorRef,
  503: errorRef,
};

const projectParams = {
  type: 'object',
  properties: {
    project: { type: 'string', pattern: PROJECT_NAME.source, description: 'the project (1-100 characters)' },
  },
  required: ['project'],
  additionalProperties: false,
} as const;

const targetList = (description: string, maxItems: number) => ({
  type: 'array',
  description,
  items: { type: 'string', minLength: 1, maxLength: MAX_ENTRY_LENGTH },
  minItems: 1,
  maxItems,
});

/** The body of `POST /tasks/{project}/run`, for the kinds the workers run. */
export function runBodySchema(kinds: readonly string[]) {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'Targets and how to scan them. Give "targets" (or Tasker\'s "hosts").',
    properties: {
      targets: targetList(
        'addresses, CIDRs, ranges, nmap octet ranges, hostnames, URLs, host:port',
        MAX_TARGETS_PER_REQUEST,
      ),
      hosts: targetList('Tasker\'s name for "targets"', MAX_TARGETS_PER_REQUEST),
      ports: {
        type: 'string',
        minLength: 1,
        maxLength: 8192,
        description: 'e.g. 22,80,443 or 1-1024 or U:53,T:80',
      },
      mode: { type: 'string', enum: [...kinds], description: 'the handler kind' },
      timeout: {
        type: 'integer',
        minimum: 1,
        maximum: 86_400,
        description: 'run-time limit per task, seconds',
      },
      dedup: { type: 'string', enum: ['rescan', 'skip-known'] },
      knownWindow: {
        type: 'integer',
        minimum: 1,
        maximum: 315_360_000,
        description: 'seconds, for skip-known',
      },
      exclude: targetList('addresses never to scan', 100_000),
      publicOnly: { type: 'boolean' },
      hostsOnly: { type: 'boolean', description: 'leave out network and broadcast addresses of CIDRs' },
      resolution: { type: 'string', enum: ['all', 'first'] },
      priority: { type: 'integer', minimum: 0, maximum: 255 },
      maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
      nmap: {
        type: 'object',
        additionalProperties: true,
        description: 'options of the nmap scan (mode nmap)',
      },
    },
  };
}

const summarySchema = {
  type: 'object',
  description: "The target engine's summary (every entry accounted for) plus what dedup did.",
  properties: {
    provided: count,
    accepted: count,
    merged: count,
    duplicates: count,
    refused: { type: 'object', additionalProperties: count, description: 'refusals by reason' },
    addresses: bigCount,
    ipv4: count,
    ipv6: bigCount,
    ranges: count,
    refusedAddresses: { type: 'object', additionalProperties: bigCount },
    hostnames: {
      type: 'object',
      properties: { provided: count, resolved: count, unresolvable: count },
    },
    warnings: { type: 'array', items: text },
    warningCount: count,
    partial: count,
    tasks: count,
  },
} as const;

const runResponse = {
  type: 'object',
  properties: {
    project: text,
    summary: summarySchema,
    tasks: {
      type: 'object',
      description: 'tasks created, and planned targets left out because active or recent work covers them',
      properties: { created: count, alreadyQueued: count, alreadyScanned: count, partial: count },
    },
    refusedEntries: {
      type: 'array',
      description:
        'the first 100 entries refused by the scope rules (special-purpose, excluded, unresolvable)',
      items: {
        type: 'object',
        properties: { index: count, input: text, reason: text, message: text },
      },
    },
  },
} as const;

const targetSchema = {
  type: 'object',
  properties: {
    ip: text,
    addresses: { type: 'array', items: text },
    hostnames: { type: 'array', items: text },
    ports: text,
  },
} as const;

const statusResponse = {
  type: 'object',
  properties: {
    project: text,
    counts: {
      type: 'object',
      properties: Object.fromEntries(TASK_STATUSES.map((status) => [status, count])),
    },
    active: count,
    running: {
      type: 'array',
      items: {
        type: 'object',
        properties: { taskId: text, target: targetSchema, workerId: text, startedAt: integer },
      },
    },
  },
} as const;

const stopResponse = {
  type: 'object',
  properties: { project: text, cancelled: count, purged: count, aborted: count },
} as const;

const workerSchema = {
  type: 'object',
  properties: {
    id: text,
    hostname: text,
    addresses: { type: 'array', items: text },
    kinds: { type: 'array', items: text },
    capacity: count,
    running: { ...count, description: 'tasks running on it now' },
    startedAt: { type: 'string', format: 'date-time' },
    lastSeenAt: { type: 'string', format: 'date-time' },
  },
} as const;

const healthResponse = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    components: {
      type: 'array',
      items: {
        type: 'object',
        properties: { component: text, ok: { type: 'boolean' }, detail: text, latencyMs: { type: 'number' } },
      },
    },
    failing: { type: 'array', items: text },
  },
} as const;

/** Route schemas, by route. */
export function routeSchemas(kinds: readonly string[]) {
  const run = {
    tags: ['tasks'],
    summary: 'Submit targets: prepare, deduplicate, create and queue one task per address',
    security: bearer,
    params: projectParams,
    body: runBodySchema(kinds),
    response: { 200: runResponse, 413: errorRef, 415: errorRef, 422: errorRef, ...authErrors },
  };
  return {
    run,
    runNmap: {
      ...run,
      summary: "Tasker's path for run; the mode defaults to nmap",
      body: runBodySchema(kinds),
    },
    status: {
      tags: ['tasks'],
      summary: "A project's tasks by status and what runs now",
      security: bearer,
      params: projectParams,
      response: { 200: statusResponse, ...authErrors },
    },
    stop: {
      tags: ['tasks'],
      summary: 'Stop a project: cancel its active tasks, purge its queued messages, abort what runs',
      security: bearer,
      params: projectParams,
      response: { 200: stopResponse, ...authErrors },
    },
    workers: {
      tags: ['workers'],
      summary: 'Workers seen recently',
      security: bearer,
      response: {
        200: { type: 'object', properties: { count, workers: { type: 'array', items: workerSchema } } },
        ...authErrors,
      },
    },
    workerIps: {
      tags: ['workers'],
      summary: "Workers and their addresses, in Tasker's shape",
      security: bearer,
      response: {
        200: {
          type: 'object',
          properties: {
            workers: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                properties: {
                  hostname: text,
                  ip: text,
                  ips: { type: 'array', items: text },
                  last_seen: { type: 'number', description: 'epoch seconds' },
                },
              },
            },
          },
        },
        ...authErrors,
      },
    },
    health: {
      tags: ['operations'],
      summary: 'PostgreSQL, RabbitMQ and the workers, checked for real: 200 when all are fine, else 503',
      response: { 200: healthResponse, 503: healthResponse, 500: errorRef },
    },
    createToken: {
      tags: ['projects'],
      summary:
        'Create a project (if new) and a token for it; the token is shown this once (admin token only)',
      security: bearer,
      params: projectParams,
      response: {
        201: {
          type: 'object',
          properties: { id: text, project: text, token: { type: 'string', description: 'the bearer token' } },
        },
        ...authErrors,
      },
    },
    metrics: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format); needs the admin token',
      security: bearer,
      response: {
        200: {
          description: 'Prometheus text format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        ...authErrors,
      },
    },
  };
}
