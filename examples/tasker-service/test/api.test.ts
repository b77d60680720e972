// The API end to end on real PostgreSQL and RabbitMQ with two forked worker processes: run → status → finished,
// stop, workers, health (and 503 when RabbitMQ is unreachable), metrics that parse and move, the OpenAPI document,
// Swagger UI served locally, and the dashboard wired to the service's tokens.
import { createOrchestrator } from '@scanplane/core';
import { createRabbitQueue } from '@scanplane/rabbitmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectTokens } from '../src/project-tokens.js';
import { createTaskerServer } from '../src/server.js';
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
let token: string;

beforeAll(async () => {
  ports = await loopbackPorts();
  test = await startTestService('api', {
    workers: 2,
    workerConcurrency: 8,
    tcpTimeoutMs: 500,
    dashboard: true,
  });
  token = (await test.service.tokens.createToken('lab')).token;
});

afterAll(async () => {
  await test?.cleanup();
  await ports?.close();
});

const metricsNow = async () => {
  const response = await call(test.url, '/metrics', { token: ADMIN_TOKEN });
  expect(response.status).toBe(200);
  return parsePrometheusText(response.body as string);
};

describe('tasker-service API', () => {
  it('runs a submission to the end: run → status → finished, with the open port found', async () => {
    const before = await metricsNow();
    const run = await call(test.url, '/tasks/lab/run', {
      token,
      body: {
        targets: ['127.0.0.1', '127.0.0.2-127.0.0.4', '127.0.0.1'],
        ports: `${ports.open},${ports.closed}`,
      },
    });
    expect(run.status).toBe(200);
    expect(run.body.project).toBe('lab');
    expect(run.body.summary).toMatchObject({
      provided: 3,
      accepted: 2,
      duplicates: 1,
      addresses: 4,
      tasks: 4,
    });
    expect(run.body.tasks).toEqual({ created: 4, alreadyQueued: 0, alreadyScanned: 0, partial: 0 });

    await waitFor('the project to be idle', async () => {
      const status = await call(test.url, '/tasks/lab/status', { token });
      return status.body.active === 0;
    });
    const status = await call(test.url, '/tasks/lab/status', { token });
    expect(status.status).toBe(200);
    expect(status.body.counts).toMatchObject({ finished: 4, failed: 0, cancelled: 0, queued: 0, started: 0 });
    expect(status.body.running).toEqual([]);

    const tasks = await test.service.store.list({ project: 'lab' });
    const loopback = tasks.find((task) => task.target?.ip === '127.0.0.1');
    expect(
      (loopback?.result as { open: Array<{ port: number }> } | undefined)?.open.map((open) => open.port),
    ).toEqual([ports.open]);
    for (const task of tasks.filter((one) => one.target?.ip !== '127.0.0.1')) {
      expect((task.result as { open: unknown[]; closed: number }).open).toEqual([]);
    }

    // The metrics moved: a submission, four tasks, four launches and four finished durations (from the workers'
    // forwarded events), and the gauge counts them in the store.
    const after = await metricsNow();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('tasker_submissions_total', { project: 'lab' })).toBe(1);
    expect(delta('tasker_tasks_submitted_total', { project: 'lab' })).toBe(4);
    expect(delta('tasker_targets_refused_total', { project: 'lab' })).toBe(0);
    await waitFor('the forwarded finish events', async () => {
      const now = await metricsNow();
      return (
        sampleValue(now, 'tasker_task_duration_seconds_count', { kind: 'tcp-connect', outcome: 'finished' }) -
          sampleValue(before, 'tasker_task_duration_seconds_count', {
            kind: 'tcp-connect',
            outcome: 'finished',
          }) ===
        4
      );
    });
    expect(delta('tasker_task_launches_total', { kind: 'tcp-connect' })).toBe(4);
    expect(sampleValue(after, 'tasker_tasks', { project: 'lab', state: 'finished' })).toBe(4);
    expect(sampleValue(after, 'tasker_workers')).toBe(2);
    expect(sampleValue(after, 'tasker_worker_capacity')).toBe(16);
    expect(
      after.some((sample) => sample.name === 'tasker_queue_depth' && sample.labels['kind'] === 'tcp-connect'),
    ).toBe(true);
  });

  it('stops a project: queued tasks are cancelled and purged, none runs afterwards, and stop-nmap answers too', async () => {
    const { token: stopToken } = await test.service.tokens.createToken('stopping');
    const run = await call(test.url, '/tasks/stopping/run', {
      token: stopToken,
      body: { targets: ['127.3.0.0/22'], ports: String(ports.closed) },
    });
    expect(run.status).toBe(200);
    const created = run.body.tasks.created as number;
    expect(created).toBe(1024);
    const stop = await call(test.url, '/tasks/stopping/stop', { token: stopToken, method: 'POST' });
    expect(stop.status).toBe(200);
    expect(stop.body.project).toBe('stopping');
    expect(stop.body.cancelled).toBeGreaterThan(0);
    expect(stop.body.purged).toBeGreaterThan(0);

    await waitFor('the stopped project to be idle', async () => {
      const status = await call(test.url, '/tasks/stopping/status', { token: stopToken });
      return status.body.active === 0;
    });
    const settled = await call(test.url, '/tasks/stopping/status', { token: stopToken });
    const counts = settled.body.counts;
    expect(counts.cancelled).toBe(stop.body.cancelled);
    expect(counts.finished + counts.cancelled).toBe(created);
    expect(counts.failed).toBe(0);
    // Nothing runs after the stop: the finished count does not move any more.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const later = await call(test.url, '/tasks/stopping/status', { token: stopToken });
    expect(later.body.counts).toEqual(counts);
    expect(await test.service.queue.depth('tcp-connect')).toBe(0);

    const again = await call(test.url, '/tasks/stopping/stop-nmap', { token: stopToken });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ project: 'stopping', cancelled: 0, purged: 0, aborted: 0 });
  });

  it("lists the workers, in its own shape and in Tasker's", async () => {
    const workers = await call(test.url, '/workers', { token });
    expect(workers.status).toBe(200);
    expect(workers.body.count).toBe(2);
    expect(workers.body.workers.map((worker: { id: string }) => worker.id).sort()).toEqual([
      'tasker-worker-1',
      'tasker-worker-2',
    ]);
    for (const worker of workers.body.workers) {
      expect(worker).toMatchObject({ kinds: ['tcp-connect'], capacity: 8 });
      expect(Number.isNaN(Date.parse(worker.lastSeenAt))).toBe(false);
      expect(worker.currentTasks).toBeUndefined();
    }
    const ips = await call(test.url, '/workers/ips', { token });
    expect(ips.status).toBe(200);
    expect(Object.keys(ips.body.workers).sort()).toEqual(['tasker-worker-1', 'tasker-worker-2']);
    for (const entry of Object.values(ips.body.workers) as Array<Record<string, unknown>>) {
      expect(typeof entry['hostname']).toBe('string');
      expect(typeof entry['ip']).toBe('string');
      expect(typeof entry['last_seen']).toBe('number');
    }
    expect((await call(test.url, '/workers')).status).toBe(401);
  });

  it('reports health: 200 with every part checked, 503 naming RabbitMQ when it is unreachable', async () => {
    const health = await call(test.url, '/health');
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
    expect(health.body.status).toBe('ok');
    const components = health.body.components.map((component: { component: string }) => component.component);
    expect(components).toEqual(expect.arrayContaining(['store', 'queue', 'workers']));
    expect(health.body.failing).toEqual([]);

    // The same store and workers, but a broker on a port where nothing listens.
    const queue = createRabbitQueue({
      url: `amqp://guest:guest@127.0.0.1:${ports.closed}`,
      prefix: `${test.names.queuePrefix}-down`,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    const orchestrator = createOrchestrator({
      store: test.service.store,
      ledger: test.service.store,
      registry: test.service.store,
      queue,
    });
    const tokens = createProjectTokens({ pool: test.service.store.pool, schema: test.names.serviceSchema });
    const down = createTaskerServer({
      orchestrator,
      store: test.service.store,
      queue,
      tokens,
      dashboard: false,
      kinds: ['tcp-connect'],
    });
    try {
      const answer = await down.inject({ method: 'GET', url: '/health' });
      expect(answer.statusCode).toBe(503);
      const body = answer.json();
      expect(body.ok).toBe(false);
      expect(body.status).toBe('unavailable');
      expect(body.failing).toEqual(['queue']);
      const failing = body.components.find(
        (component: { component: string }) => component.component === 'queue',
      );
      expect(failing.ok).toBe(false);
      expect(failing.detail).toMatch(/rabbitmq/i);
    } finally {
      await down.close();
      await queue.close();
    }
  });

  it('serves metrics to the admin only, in the Prometheus text format', async () => {
    expect((await call(test.url, '/metrics')).status).toBe(401);
    const forbidden = await call(test.url, '/metrics', { token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'forbidden' });
    const response = await call(test.url, '/metrics', { token: ADMIN_TOKEN });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(response.body as string);
    for (const name of [
      'tasker_tasks',
      'tasker_submissions_total',
      'tasker_task_duration_seconds_bucket',
      'tasker_queue_depth',
      'tasker_workers',
      'tasker_process_cpu_user_seconds_total',
    ]) {
      expect(
        samples.some((sample) => sample.name === name),
        name,
      ).toBe(true);
    }
  });

  it('serves the OpenAPI document with a schema on every route, and Swagger UI from local assets', async () => {
    const spec = await call(test.url, '/docs/json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.0.3');
    const paths = spec.body.paths as Record<
      string,
      Record<string, { responses: Record<string, unknown>; security?: unknown }>
    >;
    const expected: Array<[string, string]> = [
      ['/tasks/{project}/run', 'post'],
      ['/tasks/{project}/run-nmap', 'post'],
      ['/tasks/{project}/status', 'get'],
      ['/tasks/{project}/stop', 'post'],
      ['/tasks/{project}/stop-nmap', 'get'],
      ['/workers', 'get'],
      ['/workers/ips', 'get'],
      ['/health', 'get'],
      ['/metrics', 'get'],
      ['/projects/{project}/tokens', 'post'],
    ];
    for (const [path, method] of expected) {
      const operation = paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(Object.keys(operation?.responses ?? {})).toContain(
        method === 'post' && path.startsWith('/projects') ? '201' : '200',
      );
      expect(Object.keys(operation?.responses ?? {}).length).toBeGreaterThan(1);
    }
    const run = paths['/tasks/{project}/run']?.['post'] as unknown as {
      requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } };
      security: unknown;
    };
    expect(Object.keys(run.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['targets', 'ports', 'mode', 'timeout']),
    );
    expect(run.security).toEqual([{ bearerAuth: [] }]);
    expect(spec.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });

    const page = await fetch(`${test.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    expect(html).not.toMatch(/src="https?:/);
    const bundle = await fetch(`${test.url}/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  it("serves the dashboard with the service's tokens", async () => {
    const page = await fetch(`${test.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect((await call(test.url, '/dashboard/snapshot')).status).toBe(401);
    const snapshot = await call(test.url, '/dashboard/snapshot', { token });
    expect(snapshot.status).toBe(200);
    expect(JSON.stringify(snapshot.body)).toContain('lab');
    expect(JSON.stringify(snapshot.body)).not.toContain('stopping');
  });
});
