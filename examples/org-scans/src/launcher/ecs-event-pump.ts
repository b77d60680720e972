import type { FargateLauncher } from '@scanplane/fargate';

/**
 * One message of the queue the EventBridge rule feeds: its body is the "ECS Task State Change" event as JSON.
 *
 * @example
 * ```ts
 * import type { EcsEventMessage } from './ecs-event-pump.js';
 * const message: EcsEventMessage = { body: '{"detail-type":"ECS Task State Change"}', receiptHandle: 'r1' };
 * ```
 */
export interface EcsEventMessage {
  /** The EventBridge event, as JSON text. */
  body: string;
  /** What deletes it once handled. */
  receiptHandle: string;
}

/**
 * The queue of ECS events, as the pump uses it: long-poll for messages, delete one. {@link sqsEventQueue} makes
 * one from an AWS SDK v3 SQS client.
 *
 * @example
 * ```ts
 * import type { EcsEventQueue } from './ecs-event-pump.js';
 * const empty: EcsEventQueue = { receive: async () => [], remove: async () => undefined };
 * ```
 */
export interface EcsEventQueue {
  /** Waits for up to ten messages (long polling); `[]` when none came. */
  receive(signal: AbortSignal): Promise<EcsEventMessage[]>;
  /** Deletes a handled message. */
  remove(receiptHandle: string): Promise<void>;
}

/** The part of `@aws-sdk/client-sqs`'s `SQSClient` the queue needs. */
export interface SqsClientLike {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** A command class of `@aws-sdk/client-sqs` (`ReceiveMessageCommand`, `DeleteMessageCommand`). */
export type SqsCommandClass = new (input: Record<string, unknown>) => unknown;

/**
 * An {@link EcsEventQueue} on SQS: `ReceiveMessage` with 20-second long polling, `DeleteMessage` per handled
 * message. The SQS client and its command classes are passed in, so this example does not depend on
 * `@aws-sdk/client-sqs` itself.
 *
 * @example
 * ```ts
 * import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
 * import { sqsEventQueue } from './ecs-event-pump.js';
 * const queue = sqsEventQueue({
 *   client: new SQSClient({}), ReceiveMessageCommand, DeleteMessageCommand,
 *   queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/ecs-events' });
 * ```
 */
export function sqsEventQueue(options: {
  client: SqsClientLike;
  queueUrl: string;
  ReceiveMessageCommand: SqsCommandClass;
  DeleteMessageCommand: SqsCommandClass;
}): EcsEventQueue {
  const { client, queueUrl, ReceiveMessageCommand, DeleteMessageCommand } = options;
  return {
    async receive(signal) {
      const answer = (await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
        { abortSignal: signal },
      )) as { Messages?: Array<{ Body?: string; ReceiptHandle?: string }> };
      return (answer.Messages ?? []).flatMap((message) =>
        message.Body === undefined || message.ReceiptHandle === undefined
          ? []
          : [{ body: message.Body, receiptHandle: message.ReceiptHandle }],
      );
    },
    async remove(receiptHandle) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
    },
  };
}

/**
 * Feeds ECS task state changes to the Fargate launcher until the signal aborts: each message's body goes to
 * `launcher.handleEvent` (which orders events by `detail.version`, drops duplicates and stale ones, ignores other
 * deployments' tasks) and is then deleted, whatever the outcome, so a malformed event cannot loop. The
 * orchestrator, subscribed to the launcher, applies the task events. A failed receive is reported and retried
 * after a pause.
 *
 * @example
 * ```ts
 * import { pumpEcsEvents } from './ecs-event-pump.js';
 * declare const launcher: import('@scanplane/fargate').FargateLauncher;
 * declare const queue: import('./ecs-event-pump.js').EcsEventQueue;
 * const controller = new AbortController();
 * const done = pumpEcsEvents({ queue, launcher, signal: controller.signal });
 * ```
 */
export async function pumpEcsEvents(options: {
  queue: EcsEventQueue;
  launcher: Pick<FargateLauncher, 'handleEvent'>;
  signal: AbortSignal;
  onError?: (error: Error) => void;
  retryDelayMs?: number;
}): Promise<void> {
  const { queue, launcher, signal } = options;
  while (!signal.aborted) {
    let messages: EcsEventMessage[];
    try {
      messages = await queue.receive(signal);
    } catch (error) {
      if (signal.aborted) return;
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 5000));
      continue;
    }
    for (const message of messages) {
      launcher.handleEvent(message.body);
      try {
        await queue.remove(message.receiptHandle);
      } catch (error) {
        // Delivered again later: handleEvent drops it as a duplicate.
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
