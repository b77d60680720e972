import { isScanplaneError, type ScanTask } from '@scanplane/core';
import { describe, expect, it } from 'vitest';
import { entrypointTaskHandler } from './entrypoint-task-handler.js';
import { readPullWorkerConfig } from './pull-worker-config.js';

const required = {
  SCANPLANE_DATABASE_URL: 'postgres://scanplane:s3cret@127.0.0.1:5432/scanplane',
  SCANPLANE_AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
};

/** The error readPullWorkerConfig throws for an environment. */
function problemsOf(env: Record<string, string | undefined>, knownKinds?: string[]): string {
  try {
    readPullWorkerConfig(env, knownKinds === undefined ? {} : { knownKinds });
  } catch (error) {
    expect(isScanplaneError(error) && error.code).toBe('INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('readPullWorkerConfig', () => {
  it('reads the two URLs and defaults the rest', () => {
    expect(readPullWorkerConfig(required)).toEqual({
      databaseUrl: required.SCANPLANE_DATABASE_URL,
      schema: 'scanplane',
      amqpUrl: required.SCANPLANE_AMQP_URL,
      queuePrefix: 'scanplane',
      queueType: 'quorum',
      kinds: ['tcp-connect'],
      concurrency: 1,
      stopGraceMs: 25_000,
    });
  });

  it('reads every setting', () => {
    const config = readPullWorkerConfig(
      {
        ...required,
        SCANPLANE_SCHEMA: 'sp_lab',
        SCANPLANE_QUEUE_PREFIX: 'lab.scans',
        SCANPLANE_QUEUE_TYPE: 'classic',
        SCANPLANE_DELIVERY_LIMIT: '0',
        SCANPLANE_KINDS: ' tcp-connect , diagnostic,tcp-connect ',
        SCANPLANE_CONCURRENCY: '8',
        SCANPLANE_WORKER_ID: 'scanplane_worker_all_0a1b2c3d',
        SCANPLANE_STOP_GRACE_MS: '0',
      },
      { knownKinds: ['tcp-connect', 'diagnostic'] },
    );
    expect(config).toEqual({
      databaseUrl: required.SCANPLANE_DATABASE_URL,
      schema: 'sp_lab',
      amqpUrl: required.SCANPLANE_AMQP_URL,
      queuePrefix: 'lab.scans',
      queueType: 'classic',
      deliveryLimit: 0,
      kinds: ['tcp-connect', 'diagnostic'],
      concurrency: 8,
      workerId: 'scanplane_worker_all_0a1b2c3d',
      stopGraceMs: 0,
    });
  });

  it('names every missing variable', () => {
    const message = problemsOf({ SCANPLANE_DATABASE_URL: '  ' });
    expect(message).toMatch(/SCANPLANE_DATABASE_URL is not set/);
    expect(message).toMatch(/SCANPLANE_AMQP_URL is not set/);
  });

  it('names every invalid variable, without echoing URLs (they hold passwords)', () => {
    const message = problemsOf(
      {
        SCANPLANE_DATABASE_URL: 'mysql://root:hunter2@db/x',
        SCANPLANE_AMQP_URL: 'not a url',
        SCANPLANE_SCHEMA: 'Bad-Schema',
        SCANPLANE_QUEUE_PREFIX: 'a b',
        SCANPLANE_QUEUE_TYPE: 'stream',
        SCANPLANE_DELIVERY_LIMIT: '-1',
        SCANPLANE_KINDS: 'tcp-connect,nmap',
        SCANPLANE_CONCURRENCY: '1.5',
        SCANPLANE_WORKER_ID: 'has space',
        SCANPLANE_STOP_GRACE_MS: 'soon',
      },
      ['tcp-connect', 'diagnostic'],
    );
    for (const expected of [
      /SCANPLANE_DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL .* got a value with mysql:/,
      /SCANPLANE_AMQP_URL must be a amqp:\/\/ or amqps:\/\/ URL .* got a value with no scheme/,
      /SCANPLANE_SCHEMA "Bad-Schema" is not valid/,
      /SCANPLANE_QUEUE_PREFIX "a b" is not valid/,
      /SCANPLANE_QUEUE_TYPE must be "quorum" or "classic", got "stream"/,
      /SCANPLANE_DELIVERY_LIMIT must be an integer from 0 to 1000000, got "-1"/,
      /SCANPLANE_KINDS: no handler runs kind "nmap" \(this worker runs tcp-connect, diagnostic\)/,
      /SCANPLANE_CONCURRENCY must be an integer from 1 to 1000, got "1.5"/,
      /SCANPLANE_WORKER_ID must be 1-200 printable characters without spaces/,
      /SCANPLANE_STOP_GRACE_MS must be an integer from 0 to 86400000, got "soon"/,
    ]) {
      expect(message).toMatch(expected);
    }
    expect(message).not.toMatch(/hunter2/);
  });

  it('refuses a kinds list that names no kind, and zero concurrency', () => {
    const message = problemsOf({ ...required, SCANPLANE_KINDS: ' , ', SCANPLANE_CONCURRENCY: '0' });
    expect(message).toMatch(/SCANPLANE_KINDS names no kind/);
    expect(message).toMatch(/SCANPLANE_CONCURRENCY must be an integer from 1 to 1000, got "0"/);
  });
});

describe('entrypointTaskHandler', () => {
  const task = (kind: string): ScanTask =>
    ({
      id: 't1',
      kind,
      project: 'lab',
      attempt: 2,
      target: { addresses: ['127.0.0.1'], hostnames: [], ports: '80' },
      payload: { arguments: { depth: 3 } },
    }) as unknown as ScanTask;

  it("runs the handler of the task's kind with the task's command options and logs with the task id", async () => {
    const lines: string[] = [];
    const controller = new AbortController();
    const handler = entrypointTaskHandler(
      {
        probe: async (options, context) => {
          context.log('probing');
          return { options, aborted: context.signal.aborted };
        },
      },
      { log: (taskId, line) => lines.push(`${taskId} ${line}`) },
    );
    const result = await handler(task('probe'), { signal: controller.signal, log: () => undefined });
    expect(result).toEqual({
      options: {
        taskId: 't1',
        kind: 'probe',
        project: 'lab',
        attempt: 2,
        target: { addresses: ['127.0.0.1'], hostnames: [], ports: '80' },
        arguments: { depth: 3 },
      },
      aborted: false,
    });
    expect(lines).toEqual(['t1 probing']);
  });

  it('fails a kind without a handler with INVALID_COMMAND', async () => {
    const handler = entrypointTaskHandler({ probe: async () => 'ok' });
    await expect(
      handler(task('nmap'), { signal: new AbortController().signal, log: () => undefined }),
    ).rejects.toMatchObject({ code: 'INVALID_COMMAND', message: expect.stringMatching(/kind "nmap"/) });
  });
});
