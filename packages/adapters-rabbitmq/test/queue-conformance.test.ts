import { randomUUID } from 'node:crypto';
import { runQueueConformance } from '@scanplane/core/testing';
import amqplib from 'amqplib';
import { afterAll, beforeAll } from 'vitest';
import { createRabbitQueue, type RabbitQueue, type RabbitQueueType } from '../src/index.js';
import { startBroker, type TestBroker } from './support/rabbitmq-server.js';

// The core queue conformance suite against a real RabbitMQ, for both queue types. Each test gets a fresh prefix;
// on a shared broker (AMQP_URL) the queues a test declared are deleted after it.
let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
}, 120_000);
afterAll(async () => {
  await broker?.stop();
});

async function dropQueues(url: string, queue: RabbitQueue): Promise<void> {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const name of queue.declaredQueues()) await channel.deleteQueue(name);
    for (const exchange of Object.values(queue.topology)) {
      if (typeof exchange === 'string') await channel.deleteExchange(exchange).catch(() => {});
    }
  } finally {
    await connection.close();
  }
}

function conformance(type: RabbitQueueType): void {
  runQueueConformance({
    name: `rabbitmq (${type} queues)`,
    create: async () => {
      const queue = createRabbitQueue({
        url: broker.url,
        prefix: `conformance-${randomUUID().slice(0, 8)}`,
        queueType: type,
        deliveryLimit: 4,
      });
      return { queue, cleanup: () => (broker.owned ? Promise.resolve() : dropQueues(broker.url, queue)) };
    },
    skip:
      type === 'quorum'
        ? [
            {
              reason:
                'quorum queues have no priorities before RabbitMQ 4.0 (and only two levels from 4.0): use queueType "classic" for priorities',
              tests: ['higher priority is delivered first'],
            },
          ]
        : [],
  });
}

conformance('quorum');
conformance('classic');
