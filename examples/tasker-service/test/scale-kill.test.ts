// 10,000 targets across four projects, submitted through the API in four target syntaxes, scanned by two worker
// processes — one of which is killed (SIGKILL) mid-run. Every task must still finish exactly once and none may be
// lost: the killed worker's unacknowledged messages go back to RabbitMQ, and the tasks it had claimed are retried by
// the orchestrator's reaper when their lease (3 s here) expires. Every target is in 127.0.0.0/8 (loopback) and the
// port scanned is one nothing listens on, so each task is one refused connect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from './support/prometheus-text.js';
import {
  ADMIN_TOKEN,
  call,
  loopbackPorts,
  startTestService,
  type TestService,
  waitFor,
} from './support/servers.js';

let test: TestService;
let ports: Awaited<ReturnType<typeof loopbackPorts>>;

beforeAll(async () => {
  ports = await loopbackPorts();
  test = await startTestService('scale', {
    workers: 2,
    workerConcurrency: 16,
    restartWorkers: false, // the survivor and the reaper must recover alone
    taskTimeouts: { leaseMs: 3000 },
    reaperIntervalMs: 500,
    tcpTimeoutMs: 1000,
  });
});

afterAll(async () => {
  await test?.cleanup();
  await ports?.close();
});

/** Four projects of 2,500 addresses each, in four syntaxes. */
const PROJECTS: Record<string, string[]> = {
  'scale-list': Array.from({ length: 2500 }, (_, i) => `127.40.${i >> 8}.${i & 255}`),
  'scale-range': ['127.41.0.0-127.41.9.195'],
  'scale-octets': ['127.42.0-9.0-249'],
  'scale-cidrs': ['127.43.0.0/21', '127.43.8.0-127.43.9.195'],
};

describe('10,000 targets while a worker process is killed', () => {
  it('finishes every task exactly once, none lost', async () => {
    const { store, workers } = test.service;
    const totalFinished = async (): Promise<number> => {
      let sum = 0;
      for (const project of Object.keys(PROJECTS)) sum += (await store.count({ project })).finished;
      return sum;
    };

    const answers = await Promise.all(
      Object.entries(PROJECTS).map(async ([project, targets]) => {
        const { token } = await test.service.tokens.createToken(project);
        return call(test.url, `/tasks/${project}/run`, {
          token,
          body: { targets, ports: String(ports.closed) },
        });
      }),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.tasks.created).toBe(2500);
    }

    // Mid-run: some tasks finished, most not.
    await waitFor('the first 1,000 tasks to finish', async () => (await totalFinished()) >= 1000, {
      timeoutMs: 60_000,
      everyMs: 50,
    });
    const killed = workers.workers[0];
    expect(killed?.id).toBe('tasker-worker-1');
    expect(killed?.pid).toBeDefined();
    expect(workers.kill('tasker-worker-1', 'SIGKILL')).toBe(true);
    const finishedAtKill = await totalFinished();
    expect(finishedAtKill).toBeLessThan(10_000);
    await waitFor('the killed process to be gone', async () => killed?.pid === undefined, {
      timeoutMs: 10_000,
    });

    const started = Date.now();
    await waitFor('every task to finish', async () => (await totalFinished()) === 10_000, {
      timeoutMs: 100_000,
      everyMs: 250,
    });
    console.log(`killed with ${finishedAtKill} finished; the rest took ${Date.now() - started} ms`);

    for (const project of Object.keys(PROJECTS)) {
      const { token } = await test.service.tokens.createToken(project);
      const status = await call(test.url, `/tasks/${project}/status`, { token });
      expect(status.body.counts, project).toEqual({
        created: 0,
        queued: 0,
        requested: 0,
        started: 0,
        finished: 2500,
        failed: 0,
        cancelled: 0,
      });
    }
    const s = `"${test.names.storeSchema}"`;
    const { rows: finishes } = await store.pool.query<{ tasks: string; transitions: string; twice: string }>(
      `SELECT count(DISTINCT task_id) AS tasks, count(*) AS transitions,
              (SELECT count(*) FROM (SELECT task_id FROM ${s}.task_history WHERE to_status = 'finished'
                                     GROUP BY task_id HAVING count(*) > 1) AS d) AS twice
         FROM ${s}.task_history WHERE to_status = 'finished'`,
    );
    expect(finishes[0]).toEqual({ tasks: '10000', transitions: '10000', twice: '0' });
    const { rows: tasks } = await store.pool.query<{ n: string; addresses: string }>(
      `SELECT count(*) AS n, count(DISTINCT project || ' ' || (target->>'ip')) AS addresses FROM ${s}.tasks`,
    );
    expect(tasks[0]).toEqual({ n: '10000', addresses: '10000' });

    // The killed worker's claimed tasks came back through their expired leases and finished on the survivor.
    const { rows: recovered } = await store.pool.query<{ n: string }>(
      `SELECT count(DISTINCT task_id) AS n FROM ${s}.task_history WHERE reason LIKE 'LEASE_EXPIRED%'`,
    );
    const { rows: retried } = await store.pool.query<{ n: string; survivor: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE worker_id = 'tasker-worker-2') AS survivor
         FROM ${s}.tasks WHERE attempt > 1`,
    );
    expect(Number(recovered[0]?.n)).toBeGreaterThan(0);
    expect(Number(retried[0]?.n)).toBeGreaterThan(0);
    expect(retried[0]?.survivor).toBe(retried[0]?.n);

    await waitFor('the queue to be empty', async () => (await test.service.queue.depth()) === 0, {
      timeoutMs: 10_000,
    });
    expect(await test.service.queue.takeDeadLetters(10)).toEqual([]);

    // The gauge counts the store, so it is exact; the event-fed histogram is best effort (a finish recorded by the
    // killed process just before it died may never have been forwarded).
    const metrics = parsePrometheusText(
      (await call(test.url, '/metrics', { token: ADMIN_TOKEN })).body as string,
    );
    expect(sampleValue(metrics, 'tasker_tasks', { state: 'finished' })).toBe(10_000);
    expect(sampleValue(metrics, 'tasker_tasks_submitted_total')).toBe(10_000);
    const observed = sampleValue(metrics, 'tasker_task_duration_seconds_count', { outcome: 'finished' });
    expect(observed).toBeGreaterThan(10_000 - 100);
    expect(observed).toBeLessThanOrEqual(10_000);
  });
});
