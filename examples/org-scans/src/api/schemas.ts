import { TASK_STATUSES } from '@scanplane/core';
import { SCAN_TYPE_NAMES } from '../scan-types.js';

// JSON schemas of the operators' API (Fastify validates requests with them and serialises answers with them).
// Requests are strict: an unknown field is refused, not dropped.

const recordId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } as const;
const idList = { type: 'array', maxItems: 10_000, uniqueItems: true, items: recordId } as const;
const tagList = {
  type: 'array',
  maxItems: 100,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 100 },
} as const;
const entryList = {
  type: 'array',
  maxItems: 10_000,
  items: { type: 'string', minLength: 1, maxLength: 255 },
} as const;

/** `{ id }` in the path. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: recordId },
} as const;

/** An organization as operators send it (`id` optional on create: one is made). */
export const organizationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'passive'],
  properties: {
    id: recordId,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    passive: { type: 'boolean' },
    tags: tagList,
    scope: {
      type: 'object',
      additionalProperties: false,
      properties: { ipBlocks: entryList, rootDomains: entryList },
    },
    enabled: { type: 'boolean' },
  },
} as const;

/** An organization as the API answers it. */
export const organizationReply = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    passive: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    scope: {
      type: 'object',
      properties: {
        ipBlocks: { type: 'array', items: { type: 'string' } },
        rootDomains: { type: 'array', items: { type: 'string' } },
      },
    },
    enabled: { type: 'boolean' },
  },
} as const;

/** A scan definition as operators send it: its type decides `passive`, `global` and `resources`. */
export const scanBody = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    id: recordId,
    type: { type: 'string', enum: SCAN_TYPE_NAMES },
    frequencySeconds: { type: 'integer', minimum: 1 },
    cron: { type: 'string', minLength: 1, maxLength: 200 },
    timezone: { type: 'string', minLength: 1, maxLength: 100 },
    jitterSeconds: { type: 'integer', minimum: 0 },
    granular: {
      type: 'object',
      additionalProperties: false,
      properties: { organizations: idList, tags: tagList },
    },
    singleShot: { type: 'boolean' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 100 },
    chunks: { type: 'integer', minimum: 1, maximum: 100 },
    organizationsPerTask: { type: 'integer', minimum: 1, maximum: 1000 },
    priority: { type: 'number' },
    arguments: { type: 'object' },
    dependsOn: idList,
    enabled: { type: 'boolean' },
  },
} as const;

/** A scan definition as the API answers it (with what the scheduler keeps on it). */
export const scanReply = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    passive: { type: 'boolean' },
    global: { type: 'boolean' },
    frequencySeconds: { type: 'integer' },
    cron: { type: 'string' },
    lastRun: { type: 'number' },
    manualRunRequestedAt: { type: 'number' },
    createdAt: { type: 'number' },
  },
} as const;

/** `GET /scans` filters: the scans that select an organization, or that select by a tag. */
export const scanListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { organizationId: recordId, tag: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** `GET /organizations` filter. */
export const organizationListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { tag: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** `GET /scan-tasks`: filters and a cursor page (`after` is the last id of the previous page). */
export const taskSearchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scanId: recordId,
    organizationId: recordId,
    status: { type: 'array', items: { type: 'string', enum: TASK_STATUSES }, maxItems: TASK_STATUSES.length },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
    after: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

/** `GET /scan-tasks/{id}/logs` options. */
export const logsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tail: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
    format: { type: 'string', enum: ['text', 'json'], default: 'text' },
  },
} as const;

/** `GET /scheduler/explain` arguments. */
export const explainQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['scanId'],
  properties: { scanId: recordId, organizationId: recordId },
} as const;

/** A scan task as the API answers it. */
export const taskReply = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    scanId: { type: 'string' },
    kind: { type: 'string' },
    status: { type: 'string' },
    organizationIds: { type: 'array', items: { type: 'string' } },
    attempt: { type: 'integer' },
    container: { type: 'string' },
  },
} as const;

/** The error answer (see `ErrorBody`). */
export const errorReply = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

/** The error answers every route may give. */
export const errorReplies = { 400: errorReply, 401: errorReply, 404: errorReply, 409: errorReply } as const;
