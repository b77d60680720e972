// Configuration from the environment (typed errors naming the variable), the Fargate launcher built from it, and
// the EventBridge → SQS → handleEvent pump — no AWS here: the real launcher handles the events, the queue is a
// list in memory.
import { isScanplaneError } from '@scanplane/core';
import type { EventOutcome } from '@scanplane/fargate';
import { describe, expect, it } from 'vitest';
import { readDeploymentConfig } from '../src/config/deployment-config.js';
import {
  type EcsEventMessage,
  pumpEcsEvents,
  type SqsCommandClass,
  sqsEventQueue,
} from '../src/launcher/ecs-event-pump.js';
import {
  fargateLauncherFromEnv,
  fargateOptionsFromEnv,
  fargateSize,
} from '../src/launcher/fargate-launcher.js';

/** The error a call throws. */
function errorOf(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const FARGATE = {
  FARGATE_CLUSTER_NAME: 'scans',
  FARGATE_TASK_DEFINITION_NAME: 'org-scans-worker:3',
  FARGATE_SUBNET_ID: 'subnet-0a1b2c3d, subnet-4e5f6a7b',
  FARGATE_SG_ID: 'sg-0a1b2c3d',
  FARGATE_LOG_GROUP_NAME: '/scanplane/workers',
  FARGATE_CAPACITY_PROVIDER: 'FARGATE_SPOT',
  AWS_REGION: 'us-east-1',
};

describe('deployment configuration', () => {
  it('has defaults for this machine and names the variable of every bad value', () => {
    const config = readDeploymentConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      schema: 'org_scans',
      launcher: 'docker',
      allow: ['127.0.0.1'],
      docker: { network: 'host' },
    });
    for (const [env, where, code] of [
      [{ ORG_SCANS_SCHEMA: 'Org-Scans' }, 'ORG_SCANS_SCHEMA', 'INVALID_ARGUMENT'],
      [{ SCANPLANE_LAUNCHER: 'kubernetes' }, 'SCANPLANE_LAUNCHER', 'INVALID_ARGUMENT'],
      [{ ORG_SCANS_PORT: '80a' }, 'ORG_SCANS_PORT', 'INVALID_ARGUMENT'],
      [{ ORG_SCANS_TICK_SECONDS: '0' }, 'ORG_SCANS_TICK_SECONDS', 'INVALID_ARGUMENT'],
      [{ ORG_SCANS_TOKEN: 'short' }, 'ORG_SCANS_TOKEN', 'INVALID_ARGUMENT'],
      [{ DATABASE_URL: 'mysql://db' }, 'DATABASE_URL', 'INVALID_ARGUMENT'],
      [{ ORG_SCANS_ALLOW: '127.0.0.1,example.com' }, 'ORG_SCANS_ALLOW[1]', 'TARGET_INVALID'],
    ] as const) {
      const error = errorOf(() => readDeploymentConfig(env));
      expect(isScanplaneError(error), String(error)).toBe(true);
      expect(error).toMatchObject({ code, details: { where } });
    }
    expect(readDeploymentConfig({ ORG_SCANS_ALLOW: '' }).allow).toEqual([]);
  });

  it('builds the Fargate launcher from Crossfeed-named variables, and names what is missing', async () => {
    const options = fargateOptionsFromEnv(FARGATE, ['203.0.113.0/24']);
    expect(options).toMatchObject({
      cluster: 'scans',
      taskDefinition: 'org-scans-worker:3',
      containerName: 'worker',
      subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
      securityGroups: ['sg-0a1b2c3d'],
      assignPublicIp: false,
      payloadMode: 'inline',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      logGroup: { name: '/scanplane/workers', streamPrefix: 'scan' },
      environment: { ORG_SCANS_ALLOW: '203.0.113.0/24' },
      ecsConfig: { region: 'us-east-1' },
    });
    expect(options.launchType).toBeUndefined();
    for (const missing of ['FARGATE_CLUSTER_NAME', 'FARGATE_TASK_DEFINITION_NAME', 'FARGATE_SUBNET_ID']) {
      const error = errorOf(() => fargateOptionsFromEnv({ ...FARGATE, [missing]: '' }, []));
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { where: missing } });
    }
    expect(
      errorOf(() => fargateOptionsFromEnv({ ...FARGATE, FARGATE_ASSIGN_PUBLIC_IP: 'maybe' }, [])),
    ).toMatchObject({
      details: { where: 'FARGATE_ASSIGN_PUBLIC_IP' },
    });
    expect(fargateSize({ cpu: 512, memory: 256 })).toEqual({ cpu: 512, memoryMiB: 1024 });
    expect(fargateSize({ cpu: 256, memory: 128 })).toEqual({ cpu: 256, memoryMiB: 512 });
    expect(fargateSize({ memory: 9000 })).toEqual({ cpu: 2048, memoryMiB: 9216 });
    expect(fargateSize({ cpu: 8192 })).toBeUndefined();
    expect(fargateSize(undefined)).toBeUndefined();
    const launcher = fargateLauncherFromEnv(FARGATE, []);
    expect(launcher.cluster).toBe('scans');
    expect(launcher.capabilities.stop).toBe(true);
    await launcher.close();
  });

  it('pumps ECS events from the queue into handleEvent and deletes each message, whatever its outcome', async () => {
    const launcher = fargateLauncherFromEnv(FARGATE, []);
    const foreign = JSON.stringify({
      version: '0',
      id: 'e1',
      source: 'aws.ecs',
      'detail-type': 'ECS Task State Change',
      detail: {
        taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/scans/0123456789abcdef',
        clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/scans',
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        startedBy: 'someone-else',
        version: 2,
        containers: [{ name: 'worker' }],
      },
    });
    const inbox: EcsEventMessage[][] = [
      [
        { body: foreign, receiptHandle: 'r1' },
        { body: 'not json', receiptHandle: 'r2' },
      ],
    ];
    const removed: string[] = [];
    const outcomes: EventOutcome[] = [];
    const controller = new AbortController();
    await pumpEcsEvents({
      queue: {
        receive: async () => {
          const next = inbox.shift();
          if (next === undefined) controller.abort();
          return next ?? [];
        },
        remove: async (handle) => {
          removed.push(handle);
        },
      },
      launcher: {
        handleEvent: (event) => {
          const outcome = launcher.handleEvent(event);
          outcomes.push(outcome);
          return outcome;
        },
      },
      signal: controller.signal,
    });
    expect(outcomes).toEqual(['foreign', 'invalid']);
    expect(removed).toEqual(['r1', 'r2']);
    await launcher.close();
  });

  it('reads SQS with long polling and deletes by receipt handle', async () => {
    const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
    const command = (name: string): SqsCommandClass =>
      class {
        constructor(input: Record<string, unknown>) {
          sent.push({ command: name, input });
        }
      };
    const queue = sqsEventQueue({
      client: {
        send: async () => ({ Messages: [{ Body: '{}', ReceiptHandle: 'h1' }, { Body: '{}' }] }),
      },
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/ecs-events',
      ReceiveMessageCommand: command('ReceiveMessage'),
      DeleteMessageCommand: command('DeleteMessage'),
    });
    expect(await queue.receive(new AbortController().signal)).toEqual([{ body: '{}', receiptHandle: 'h1' }]);
    await queue.remove('h1');
    expect(sent).toEqual([
      {
        command: 'ReceiveMessage',
        input: {
          QueueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/ecs-events',
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 20,
        },
      },
      {
        command: 'DeleteMessage',
        input: {
          QueueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/ecs-events',
          ReceiptHandle: 'h1',
        },
      },
    ]);
  });
});
