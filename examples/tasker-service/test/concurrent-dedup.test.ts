// Concurrent duplicate submissions — the same targets to the same project in parallel POSTs, as falcli's retries of
// a slow POST produce — queue each task exactly once: one task per address in the store, one message per task in
// RabbitMQ, and every other submission answered "already queued".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestService, type TestService, waitFor } from './support/servers.js';

let test: TestService;
let token: string;

beforeAll(async () => {
  // No worker: the tasks stay queued, so every later submission meets them as active work.
  test = await startTestService('dedup', { workers: 0, requireWorkers: false });
  token = (await test.service.tokens.createToken('dup')).token;
});

afterAll(async () => {
  await test?.cleanup();
});

describe('concurrent duplicate submissions', () => {
  it('queue each task once', async () => {
    const PARALLEL = 8;
    const targets = ['127.20.0.0/24', '127.20.1.0-127.20.1.243']; // 256 + 244 = 500 addresses
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        call(test.url, '/tasks/dup/run', { token, body: { targets, ports: '80,443' } }),
      ),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    const created = answers.map((answer) => answer.body.tasks.created as number);
    const alreadyQueued = answers.map((answer) => answer.body.tasks.alreadyQueued as number);
    expect(created.reduce((a, b) => a + b, 0)).toBe(500);
    expect(alreadyQueued.reduce((a, b) => a + b, 0)).toBe(500 * (PARALLEL - 1));
    for (let i = 0; i < PARALLEL; i++) expect((created[i] ?? 0) + (alreadyQueued[i] ?? 0)).toBe(500);

    const tasks = await test.service.store.list({ project: 'dup' });
    expect(tasks).toHaveLength(500);
    expect(new Set(tasks.map((task) => task.target?.ip)).size).toBe(500);
    expect(tasks.every((task) => task.status === 'queued')).toBe(true);
    // One message per task in the work queue (a quorum queue's count may lag a moment).
    await waitFor(
      'the queue to hold 500 messages',
      async () => (await test.service.queue.depth('tcp-connect')) === 500,
    );

    // Overlapping work is cut to what is new: 80,443 is queued, so 80,443,8080 plans port 8080 only.
    const overlap = await call(test.url, '/tasks/dup/run', {
      token,
      body: { targets: ['127.20.0.0/30'], ports: '80,443,8080' },
    });
    expect(overlap.body.tasks).toMatchObject({ created: 4, alreadyQueued: 0, partial: 4 });
    const cut = (await test.service.store.list({ project: 'dup' })).filter(
      (task) => task.target?.ports === '8080',
    );
    expect(cut).toHaveLength(4);
    await test.service.orchestrator.stop('dup');
  });
});
