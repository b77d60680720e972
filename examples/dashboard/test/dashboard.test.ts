// The dashboard plugin over core's in-memory store (the PostgreSQL store is exercised end to end by
// examples/tasker-service/test/dashboard-browser.test.ts): options, auth, snapshot content, the shared poller, the
// event stream, and closing with streams open. The page itself runs in Chromium in dashboard-page.test.ts.
import { createMemoryStore, isScanplaneError, type MemoryStore, type TaskStore } from '@scanplane/core';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type DashboardOptions, type DashboardSnapshot, dashboardPlugin } from '../src/index.js';
import { type DashboardApp, startDashboard, TOKENS, tokenAuthorizer } from './support/dashboard-app.js';
import { openSse, type SseClient } from './support/sse-client.js';
import { addTasks, failTask, finishTask, startTask } from './support/task-fixtures.js';

const FAST = { pollIntervalMs: 100, heartbeatMs: 200 } as const;

const apps: DashboardApp[] = [];
const clients: SseClient[] = [];
afterEach(async () => {
  // Apps first: the server ends the streams (clients that abort first leave undici reconnecting idly, which
  // holds server.close() up for its keep-alive timeout).
  for (const { app } of apps.splice(0)) await app.close();
  for (const client of clients.splice(0)) client.close();
});

async function start(options: Partial<DashboardOptions> & { store: DashboardOptions['store'] }, prefix = '') {
  const dashboard = await startDashboard(
    { projects: async () => ['lab', 'other'], authorize: tokenAuthorizer(), ...FAST, ...options },
    prefix,
  );
  apps.push(dashboard);
  return dashboard;
}

async function stream(url: string, token: string | undefined): Promise<SseClient> {
  const client = await openSse(`${url}/dashboard/events`, token);
  clients.push(client);
  return client;
}

async function snapshot(url: string, token: string): Promise<DashboardSnapshot> {
  const response = await fetch(`${url}/dashboard/snapshot`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as DashboardSnapshot;
}

/** Reads snapshots until `accept` holds (the poller reads at most every 100 ms here). */
async function snapshotWhen(url: string, token: string, accept: (s: DashboardSnapshot) => boolean) {
  for (let i = 0; i < 100; i++) {
    const current = await snapshot(url, token);
    if (accept(current)) return current;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the snapshot never reached the expected state');
}

/** Registers the plugin with `options` and returns what registration threw. */
async function registrationError(options: unknown): Promise<unknown> {
  const app = Fastify();
  try {
    await app.register(dashboardPlugin, options as DashboardOptions);
    await app.ready();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await app.close().catch(() => undefined);
  }
}

describe('dashboard plugin options', () => {
  const valid = {
    store: createMemoryStore(),
    projects: async () => ['lab'],
    authorize: async () => ({ all: true as const }),
  };

  it.each([
    ['store', { ...valid, store: {} }],
    ['projects', { ...valid, projects: ['lab'] }],
    ['authorize', { ...valid, authorize: undefined }],
    ['organizations', { ...valid, organizations: 'orgs' }],
    ['submitPath', { ...valid, submitPath: 'tasks/{project}/run' }],
    ['submitPath', { ...valid, submitPath: '/tasks/run' }],
    ['stopPath', { ...valid, stopPath: () => '/tasks/stop' }],
    ['stopPath', { ...valid, stopPath: '/tasks/{project}/"stop' }],
    ['pollIntervalMs', { ...valid, pollIntervalMs: 0 }],
    ['heartbeatMs', { ...valid, heartbeatMs: 1.5 }],
    ['recentTasks', { ...valid, recentTasks: -1 }],
    ['title', { ...valid, title: '' }],
  ])('refuses a bad %s with INVALID_ARGUMENT naming it', async (option, options) => {
    const error = await registrationError(options);
    expect(isScanplaneError(error)).toBe(true);
    if (!isScanplaneError(error)) return;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.option).toBe(option);
    expect(error.message).toContain(option);
  });

  it('accepts submitPath and stopPath as functions and hands the page a {project} template', async () => {
    const store = createMemoryStore();
    const { url } = await start({
      store,
      submitPath: (project) => `/tasks/${encodeURIComponent(project)}/run`,
      stopPath: '/tasks/{project}/stop',
    });
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain('"submitPath":"/tasks/{project}/run"');
    expect(page).toContain('"stopPath":"/tasks/{project}/stop"');
  });
});

describe('dashboard plugin auth', () => {
  it('serves the page without a token, and no data without a valid token', async () => {
    const store = createMemoryStore();
    await addTasks(store, 'lab', ['127.0.0.1']);
    const { url } = await start({ store });

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).not.toContain('127.0.0.1'); // the page carries no data

    for (const path of ['/dashboard/snapshot', '/dashboard/events']) {
      const missing = await fetch(`${url}${path}`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await missing.json()).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'missing_token',
        message: expect.stringMatching(/bearer token is required/),
      });
      const wrong = await fetch(`${url}${path}`, { headers: { authorization: 'Bearer not-a-token' } });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'invalid_token' });
      const basic = await fetch(`${url}${path}`, { headers: { authorization: `Basic ${TOKENS.admin}` } });
      expect(basic.status).toBe(401);
    }
  });

  it('shows a project token its projects only; the admin token sees all', async () => {
    const store = createMemoryStore();
    const [lab] = await addTasks(store, 'lab', ['127.0.0.1', '127.0.0.2']);
    const [other1, other2] = await addTasks(store, 'other', ['127.0.0.9', '127.0.0.10']);
    await startTask(store, lab!.id, 'worker-lab');
    await startTask(store, other1!.id, 'worker-other');
    await startTask(store, other2!.id, 'worker-other');
    await failTask(store, other2!.id, { code: 'TASK_FAILED', message: 'secret failure of other' });
    const { url } = await start({ store });

    const admin = await snapshot(url, TOKENS.admin);
    expect(admin.projects.map((p) => p.name)).toEqual(['lab', 'other']);
    expect(admin.totals).toMatchObject({ queued: 1, started: 2, failed: 1 });
    expect(admin.running.map((t) => t.project).sort()).toEqual(['lab', 'other']);
    expect(admin.failures.map((t) => t.error?.message)).toEqual(['secret failure of other']);

    const labView = await snapshot(url, TOKENS.lab);
    expect(labView.projects.map((p) => p.name)).toEqual(['lab']);
    expect(labView.totals).toMatchObject({ queued: 1, started: 1, failed: 0 });
    expect(labView.running.map((t) => t.worker)).toEqual(['worker-lab']);
    expect(labView.failures).toEqual([]);
    const text = JSON.stringify(labView);
    for (const leak of ['other', '127.0.0.9', 'worker-other', 'secret failure'])
      expect(text).not.toContain(leak);
  });

  it('ends a stream whose token is revoked, at its next heartbeat', async () => {
    const revoked = new Set<string>();
    const { url } = await start({ store: createMemoryStore(), authorize: tokenAuthorizer(revoked) });
    const client = await stream(url, TOKENS.lab);
    expect(client.status).toBe(200);
    await client.next((e) => e.event === 'snapshot');
    await client.next((e) => e.event === 'heartbeat');
    revoked.add(TOKENS.lab);
    const event = await client.next((e) => e.event === 'unauthorized');
    expect(JSON.parse(event.data)).toEqual({ message: 'the token is no longer valid' });
    await client.ended;
  });
});

describe('dashboard snapshot', () => {
  it('reports counts, recent tasks newest first, running tasks with their worker, and failures', async () => {
    const store = createMemoryStore();
    const tasks = await addTasks(store, 'lab', ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
    const [a, b, c] = tasks;
    await startTask(store, a!.id, 'worker-1');
    await startTask(store, b!.id, 'worker-2');
    await finishTask(store, b!.id);
    await startTask(store, c!.id, 'worker-3');
    await failTask(store, c!.id, { code: 'TASK_FAILED', message: 'connect EHOSTUNREACH 127.0.0.3' });
    const { url } = await start({ store });

    const view = await snapshot(url, TOKENS.admin);
    const lab = view.projects.find((p) => p.name === 'lab')!;
    expect(lab.counts).toEqual({
      created: 0,
      queued: 1,
      requested: 0,
      started: 1,
      finished: 1,
      failed: 1,
      cancelled: 0,
    });
    expect(view.projects.find((p) => p.name === 'other')!.counts.queued).toBe(0);
    // Created in one batch (same createdAt): the store orders them by id; newest first is the reverse of that.
    const storeOrder = (await store.list({ project: 'lab' })).map((t) => t.id);
    expect(lab.recent.map((t) => t.id)).toEqual(storeOrder.reverse());
    expect(lab.recent.find((t) => t.id === b!.id)).toMatchObject({
      status: 'finished',
      target: '127.0.0.2',
      ports: '22,80',
    });
    expect(view.running).toHaveLength(1);
    expect(view.running[0]).toMatchObject({
      id: a!.id,
      worker: 'worker-1',
      target: '127.0.0.1',
      status: 'started',
    });
    expect(view.running[0]!.startedAt).toBeTypeOf('number');
    expect(view.failures).toHaveLength(1);
    expect(view.failures[0]).toMatchObject({
      id: c!.id,
      error: { code: 'TASK_FAILED', message: 'connect EHOSTUNREACH 127.0.0.3' },
    });
    expect(view.generatedAt).toBeGreaterThan(0);
  });

  it('keeps only the newest tasks per project, yet catches the failure of an older running task', async () => {
    const store = createMemoryStore();
    const [oldest] = await addTasks(store, 'lab', ['127.0.0.1']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await addTasks(store, 'lab', ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    await startTask(store, oldest!.id, 'worker-1');
    const { url } = await start({ store, recentTasks: 2 });

    const before = await snapshot(url, TOKENS.admin);
    expect(before.projects[0]!.recent).toHaveLength(2);
    expect(before.projects[0]!.recent.map((t) => t.id)).not.toContain(oldest!.id);
    expect(before.running.map((t) => t.id)).toEqual([oldest!.id]);

    await failTask(store, oldest!.id, { code: 'LEASE_EXPIRED', message: 'no heartbeat for 30 s' });
    const after = await snapshotWhen(url, TOKENS.admin, (s) => s.failures.length > 0);
    expect(after.failures.map((t) => [t.id, t.error?.code])).toEqual([[oldest!.id, 'LEASE_EXPIRED']]);
    expect(after.running).toEqual([]);
  });

  it('finds the newest tasks of a large project (paging past the store page size), then follows new ones', async () => {
    const store = createMemoryStore();
    const batch = (from: number, count: number, at: number) =>
      store.create(
        Array.from({ length: count }, (_, i) => ({
          project: 'lab',
          kind: 'tcp-connect',
          idempotencyKey: `k${from + i}`,
          status: 'queued' as const,
        })),
        { at },
      );
    const base = Date.now() - 10_000;
    await batch(0, 600, base);
    await batch(600, 600, base + 1);
    const { url } = await start({ store, recentTasks: 5 });
    const newest = async (n: number) => (await store.list({ project: 'lab' })).slice(-n).reverse();

    const first = await snapshot(url, TOKENS.admin);
    expect(first.projects[0]!.counts.queued).toBe(1200);
    expect(first.projects[0]!.recent.map((t) => t.id)).toEqual((await newest(5)).map((t) => t.id));

    const [added] = (await batch(1200, 1, base + 2)).created;
    const second = await snapshotWhen(url, TOKENS.admin, (s) => s.projects[0]!.counts.queued === 1201);
    expect(second.projects[0]!.recent[0]!.id).toBe(added!.id);
    expect(second.projects[0]!.recent.map((t) => t.id)).toEqual((await newest(5)).map((t) => t.id));
  });

  it('shows organizations with their tasks; a project token sees only those its tasks cover, without counts', async () => {
    const store = createMemoryStore();
    await addTasks(store, 'lab', ['127.0.0.1'], { organizationIds: ['org-a'], scanId: 'scan-1' });
    await addTasks(store, 'other', ['127.0.0.2'], { organizationIds: ['org-b'], scanId: 'scan-2' });
    const organizations = async () => [
      { id: 'org-a', name: 'Alpha' },
      { id: 'org-b', name: 'Beta' },
      { id: 'org-c', name: 'Gamma' },
    ];
    const { url } = await start({ store, organizations, maxOrganizations: 2 });

    const admin = await snapshot(url, TOKENS.admin);
    expect(admin.organizations!.map((o) => [o.name, o.counts?.queued, o.recent.length])).toEqual([
      ['Alpha', 1, 1],
      ['Beta', 1, 1],
    ]);
    expect(admin.hiddenOrganizations).toBe(1);
    expect(admin.organizations![0]!.recent[0]).toMatchObject({
      scanId: 'scan-1',
      organizationIds: ['org-a'],
    });

    const lab = await snapshot(url, TOKENS.lab);
    expect(lab.organizations).toEqual([
      { id: 'org-a', name: 'Alpha', recent: [admin.organizations![0]!.recent[0]] },
    ]);
  });

  it('says when the store fails, keeps the last good data, and recovers', async () => {
    const memory = createMemoryStore();
    await addTasks(memory, 'lab', ['127.0.0.1']);
    let down = false;
    const store: Pick<TaskStore, 'list' | 'count'> = {
      list: (query) => (down ? Promise.reject(new Error('connection refused')) : memory.list(query)),
      count: (query) => (down ? Promise.reject(new Error('connection refused')) : memory.count(query)),
    };
    const { url } = await start({ store });
    expect((await snapshot(url, TOKENS.admin)).problem).toBeUndefined();
    down = true;
    const failing = await snapshotWhen(url, TOKENS.admin, (s) => s.problem !== undefined);
    expect(failing.problem).toMatch(/reading the task store failed: .*connection refused/);
    expect(failing.totals.queued).toBe(1);
    down = false;
    const recovered = await snapshotWhen(url, TOKENS.admin, (s) => s.problem === undefined);
    expect(recovered.totals.queued).toBe(1);
  });

  it('serves under a prefix, and the page points at the prefixed routes', async () => {
    const store = createMemoryStore();
    await addTasks(store, 'lab', ['127.0.0.1']);
    const { url } = await start({ store }, '/ops/dash');
    expect(url).toMatch(/\/ops\/dash$/);
    const html = await (await fetch(url)).text();
    expect(html).toContain('"eventsUrl":"/ops/dash/dashboard/events"');
    expect((await snapshot(url, TOKENS.admin)).totals.queued).toBe(1);
  });
});

describe('dashboard events', () => {
  it('sends the snapshot at once, then each change, with heartbeats between', async () => {
    const store = createMemoryStore();
    const [task] = await addTasks(store, 'lab', ['127.0.0.1']);
    const { url } = await start({ store });
    const client = await stream(url, TOKENS.lab);
    expect(client.status).toBe(200);

    const first = JSON.parse((await client.next((e) => e.event === 'snapshot')).data) as DashboardSnapshot;
    expect(first.totals.queued).toBe(1);
    expect(first.running).toEqual([]);
    await client.next((e) => e.event === 'heartbeat');

    await startTask(store, task!.id, 'worker-7');
    const running = await client.next(
      (e) => e.event === 'snapshot' && JSON.parse(e.data).running.length === 1,
    );
    expect((JSON.parse(running.data) as DashboardSnapshot).running[0]).toMatchObject({ worker: 'worker-7' });
    await finishTask(store, task!.id);
    const done = await client.next((e) => e.event === 'snapshot');
    expect((JSON.parse(done.data) as DashboardSnapshot).totals).toMatchObject({ started: 0, finished: 1 });
  });

  it('sends a project token no change from other projects', async () => {
    const store = createMemoryStore();
    const [otherTask] = await addTasks(store, 'other', ['127.0.0.9']);
    const { url } = await start({ store });
    const client = await stream(url, TOKENS.lab);
    await client.next((e) => e.event === 'snapshot');
    await startTask(store, otherTask!.id, 'worker-other');
    // A change in `other` reaches an admin stream, and never the lab stream (it sees only heartbeats).
    const admin = await stream(url, TOKENS.admin);
    await admin.next((e) => e.event === 'snapshot' && JSON.parse(e.data).totals.started === 1);
    await addTasks(store, 'lab', ['127.0.0.1']);
    const next = await client.next((e) => e.event === 'snapshot');
    expect(JSON.stringify(next.data)).not.toContain('127.0.0.9');
    expect((JSON.parse(next.data) as DashboardSnapshot).totals.queued).toBe(1);
  });

  it('reads the store through one poller however many streams are open', async () => {
    const memory = createMemoryStore();
    await addTasks(memory, 'lab', ['127.0.0.1']);
    let reads = 0;
    const projects = async () => {
      reads++; // once per read of the store
      return ['lab'];
    };
    const { url } = await start({ store: memory, projects, pollIntervalMs: 200 });
    const streams = await Promise.all(Array.from({ length: 6 }, () => stream(url, TOKENS.admin)));
    await Promise.all(streams.map((client) => client.next((e) => e.event === 'snapshot')));
    const from = reads;
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const elapsed = Date.now() - startedAt;
    // One poller: at most one read per 200 ms interval (plus one in flight); six pollers would read six times as often.
    expect(reads - from).toBeLessThanOrEqual(Math.floor(elapsed / 200) + 1);
    expect(reads - from).toBeGreaterThanOrEqual(2); // it does keep polling while streams are open

    for (const client of streams) client.close();
    await Promise.all(streams.map((client) => client.ended));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const idle = reads;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(reads).toBe(idle); // no stream open: no polling
  });

  it('lets app.close() finish with streams open, ending them', async () => {
    const store: MemoryStore = createMemoryStore();
    const { app, url } = await startDashboard({
      store,
      projects: async () => ['lab'],
      authorize: tokenAuthorizer(),
      ...FAST,
    });
    const streams = [
      await openSse(`${url}/dashboard/events`, TOKENS.admin),
      await openSse(`${url}/dashboard/events`, TOKENS.lab),
    ];
    await Promise.all(streams.map((client) => client.next((e) => e.event === 'snapshot')));
    const outcome = await Promise.race([
      app.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still open after 20 s'), 20_000).unref()),
    ]);
    expect(outcome).toBe('closed');
    await Promise.all(streams.map((client) => client.ended)); // the server ended them
  });
});
