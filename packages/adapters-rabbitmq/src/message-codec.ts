import type { QueueMessage } from '@scanplane/core';

/**
 * Encodes a queue message as the JSON body of an AMQP message: the message's own fields, nothing else (delivery
 * counts and reasons travel in headers).
 */
export function encodeMessage(message: QueueMessage): Buffer {
  // Written out field by field (the hot path of every publish): the same JSON as JSON.stringify of those fields.
  const notBefore =
    message.notBefore === undefined ? '' : `,"notBefore":${JSON.stringify(message.notBefore)}`;
  return Buffer.from(
    `{"taskId":${JSON.stringify(message.taskId)},"project":${JSON.stringify(message.project)},"kind":${JSON.stringify(
      message.kind,
    )},"priority":${JSON.stringify(message.priority)}${notBefore}}`,
  );
}

/**
 * Decodes an AMQP body into a queue message, or says why it is not one (the adapter dead-letters such a message
 * with that reason instead of handing it to a worker).
 */
export function decodeMessage(content: Buffer): QueueMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    return `malformed message: the body (${content.length} bytes) is not JSON`;
  }
  if (typeof value !== 'object' || value === null) return 'malformed message: the body is not a JSON object';
  const record = value as Record<string, unknown>;
  for (const field of ['taskId', 'project', 'kind'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') {
      return `malformed message: "${field}" must be a non-empty string`;
    }
  }
  if (typeof record.priority !== 'number' || !Number.isFinite(record.priority)) {
    return 'malformed message: "priority" must be a finite number';
  }
  if (
    record.notBefore !== undefined &&
    (typeof record.notBefore !== 'number' || !Number.isFinite(record.notBefore))
  ) {
    return 'malformed message: "notBefore" must be a finite number when present';
  }
  const message: QueueMessage = {
    taskId: record.taskId as string,
    project: record.project as string,
    kind: record.kind as string,
    priority: record.priority,
  };
  if (record.notBefore !== undefined) message.notBefore = record.notBefore as number;
  return message;
}

/** A header as a non-negative integer, or 0. */
export function headerCount(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : 0;
}
