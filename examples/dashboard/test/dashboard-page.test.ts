// The dashboard page in headless Chromium over core's in-memory store: sign-in, live updates, what a project
// token sees, the submit form and stop button (against routes of the test's own app that record what the page
// sent), and user input that looks like markup showing as text. The same page against the real Tasker service
// (PostgreSQL, RabbitMQ, workers) is examples/tasker-service/test/dashboard-browser.test.ts.
import { createMemoryStore, type MemoryStore } from '@scanplane/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardOptions } from '../src/index.js';
import {
  countOf,
  eventually,
  launchChromium,
  type PageProblems,
  signIn,
  textOf,
  watchPage,
} from './support/browser.js';
import { type DashboardApp, startDashboard, TOKENS, tokenAuthorizer } from './support/dashboard-app.js';
import { addTasks, failTask, finishTask, startTask } from './support/task-fixtures.js';

let browser: Browser;
const apps: DashboardApp[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
  for (const { app } of apps.splice(0)) await app.close();
});

async function open(
  store: MemoryStore,
  options: Partial<DashboardOptions> = {},
  setup?: Parameters<typeof startDashboard>[2],
): Promise<{ page: Page; problems: PageProblems; url: string }> {
  const dashboard = await startDashboard(
    {
      store,
      projects: async () => ['lab', 'other'],
      authorize: tokenAuthorizer(),
      pollIntervalMs: 100,
      ...options,
    },
    '',
    setup,
  );
  apps.push(dashboard);
  const page = await browser.newPage();
  pages.push(page);
  const problems = watchPage(page);
  await page.goto(dashboard.url);
  return { page, problems, url: dashboard.url };
}

const LAB = '[data-testid="project"][data-project="lab"]';

describe('dashboard page', () => {
  it('asks for a token, refuses a bad one, keeps a good one for the tab, and forgets it on request', async () => {
    const store = createMemoryStore();
    await addTasks(store, 'lab', ['127.0.0.1', '127.0.0.2']);
    const { page, problems } = await open(store);

    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    await signIn(page, 'wrong-token');
    await eventually(
      () => textOf(page, '#login-message'),
      (text) => text === 'The token was refused.',
      'refusal',
    );
    expect(await page.locator('#dashboard').isVisible()).toBe(false);

    await signIn(page, TOKENS.admin);
    await eventually(
      () => countOf(page, 'queued'),
      (n) => n === 2,
      'total queued',
    );
    expect(await textOf(page, '#live-status')).toBe('live');
    expect(await page.evaluate(() => sessionStorage.getItem('scanplane.dashboard.token'))).toBe(TOKENS.admin);

    await page.reload();
    await eventually(
      () => countOf(page, 'queued', LAB),
      (n) => n === 2,
      'lab queued after reload',
    );
    expect(await page.locator('#login').isVisible()).toBe(false);

    await page.locator('#logout').click();
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('scanplane.dashboard.token'))).toBeNull();
    expect(await page.locator('[data-testid="project"]').count()).toBe(0);
    expect(problems.errors).toEqual([]);
  });

  it('follows tasks live: running with worker and elapsed time, then finished and failed', async () => {
    const store = createMemoryStore();
    const [a, b] = await addTasks(store, 'lab', ['127.0.0.1', '127.0.0.2']);
    const { page, problems } = await open(store);
    await signIn(page, TOKENS.admin);
    await eventually(
      () => countOf(page, 'queued'),
      (n) => n === 2,
      'two queued',
    );
    expect(await page.locator('[data-testid="running-task"]').count()).toBe(0);

    await startTask(store, a!.id, 'worker-alpha');
    const row = page.locator(`[data-testid="running-task"][data-task-id="${a!.id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-testid="worker"]').textContent()).toBe('worker-alpha');
    expect(await row.locator('[data-testid="target"]').textContent()).toBe('127.0.0.1');
    await eventually(
      () => row.locator('[data-testid="elapsed"]').textContent(),
      (text) => /^\d+s$/.test(text ?? ''),
      'elapsed time',
    );
    expect(await countOf(page, 'started', LAB)).toBe(1);

    await finishTask(store, a!.id);
    await startTask(store, b!.id, 'worker-beta');
    await failTask(store, b!.id, { code: 'TASK_FAILED', message: 'connect ECONNREFUSED 127.0.0.2:80' });
    await eventually(
      () => countOf(page, 'finished'),
      (n) => n === 1,
      'one finished',
    );
    await eventually(
      () => countOf(page, 'failed', LAB),
      (n) => n === 1,
      'one failed in lab',
    );
    expect(await page.locator('[data-testid="running-task"]').count()).toBe(0);
    const failure = page.locator(`[data-testid="failure"][data-task-id="${b!.id}"]`);
    expect(await failure.locator('[data-testid="error-code"]').textContent()).toBe('TASK_FAILED');
    expect(await failure.locator('[data-testid="error-message"]').textContent()).toBe(
      'connect ECONNREFUSED 127.0.0.2:80',
    );
    expect(await page.locator(`${LAB} [data-testid="task"][data-status="finished"]`).count()).toBe(1);
    expect(problems.errors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
  });

  it('shows a project token its project only', async () => {
    const store = createMemoryStore();
    await addTasks(store, 'lab', ['127.0.0.1']);
    await addTasks(store, 'other', ['127.0.0.9', '127.0.0.10']);
    const { page } = await open(store);
    await signIn(page, TOKENS.lab);
    await eventually(
      () => countOf(page, 'queued'),
      (n) => n === 1,
      'lab total',
    );
    const names = await page.locator('[data-testid="project-name"]').allTextContents();
    expect(names).toEqual(['lab']);
    expect(await page.locator('body').textContent()).not.toContain('127.0.0.9');
  });

  it('submits targets and stops a project through the service paths, with the token', async () => {
    const store = createMemoryStore();
    await addTasks(store, 'lab', ['127.0.0.1']);
    const calls: Array<{ url: string; authorization?: string; body: unknown }> = [];
    const { page, problems } = await open(
      store,
      { submitPath: '/svc/{project}/run', stopPath: (project) => `/svc/${encodeURIComponent(project)}/stop` },
      (app) => {
        app.post('/svc/:project/run', async (request) => {
          calls.push({ url: request.url, authorization: request.headers.authorization, body: request.body });
          return { message: 'accepted 2 targets' };
        });
        app.post('/svc/:project/stop', async (request, reply) => {
          calls.push({ url: request.url, authorization: request.headers.authorization, body: request.body });
          return reply.code(409).send({ statusCode: 409, code: 'CONFLICT', message: 'already stopping' });
        });
      },
    );
    await signIn(page, TOKENS.admin);
    await eventually(
      () => countOf(page, 'queued', LAB),
      (n) => n === 1,
      'lab queued',
    );
    expect(await page.locator('#submit-card').isVisible()).toBe(true);
    expect(await page.locator('#submit-project option').allTextContents()).toEqual(['lab', 'other']);

    await page.locator('#submit-project').selectOption('lab');
    await page.locator('#submit-targets').fill('127.0.0.1\n127.0.0.2/31');
    await page.locator('#submit-ports').fill('22,80');
    await page.locator('#submit-button').click();
    await eventually(
      () => textOf(page, '#action-result'),
      (text) => text?.includes('accepted') === true,
      'result',
    );
    expect(await page.locator('#action-result').getAttribute('data-state')).toBe('ok');
    expect(calls[0]).toEqual({
      url: '/svc/lab/run',
      authorization: `Bearer ${TOKENS.admin}`,
      body: { targets: ['127.0.0.1', '127.0.0.2/31'], ports: '22,80' },
    });

    await page.locator(`${LAB} [data-testid="stop-project"]`).click();
    await eventually(
      () => textOf(page, '#action-result'),
      (text) => text?.includes('409') === true,
      'stop result',
    );
    expect(await textOf(page, '#action-result')).toBe('Stop of lab refused (HTTP 409): already stopping');
    expect(await page.locator('#action-result').getAttribute('data-state')).toBe('error');
    expect(calls[1]).toEqual({ url: '/svc/lab/stop', authorization: `Bearer ${TOKENS.admin}`, body: {} });
    // `other` has nothing active: its stop button is disabled.
    expect(await page.locator('[data-project="other"] [data-testid="stop-project"]').isDisabled()).toBe(true);
    expect(problems.errors).toEqual([]);
  });

  it('has no submit form or stop buttons when the deployment gives no service paths', async () => {
    const store = createMemoryStore();
    await addTasks(store, 'lab', ['127.0.0.1']);
    const { page } = await open(store);
    await signIn(page, TOKENS.admin);
    await eventually(
      () => countOf(page, 'queued', LAB),
      (n) => n === 1,
      'lab queued',
    );
    expect(await page.locator('#submit-card').isVisible()).toBe(false);
    expect(await page.locator('[data-testid="stop-project"]').count()).toBe(0);
  });

  it('shows project names, targets, hostnames, errors and the title that look like markup as text', async () => {
    const project = '<img src=x onerror="window.__xss=1">';
    const target = '<script>window.__xss=2</script>';
    const message = '<script>window.__xss=3</script><b>bold</b>';
    const code = '<i>CODE</i>';
    const hostname = '<svg onload="window.__xss=4">';
    const title = '</title><script>window.__xss=5</script> Ops';
    const orgName = '<iframe src="javascript:window.__xss=6">';
    const store = createMemoryStore();
    const [running, failing] = await addTasks(store, project, [target, `${target}2`], {
      organizationIds: ['org-1'],
    });
    await store.transition(running!.id, {
      to: 'started',
      at: Date.now(),
      reason: 'x',
      patch: { workerId: target },
    });
    await startTask(store, failing!.id, 'worker-1');
    await failTask(store, failing!.id, { code, message });
    const withHostname = await addTasks(store, project, ['127.0.0.1'], {
      target: { ip: '127.0.0.1', addresses: ['127.0.0.1/32'], hostnames: [hostname], ports: '80' },
    });
    const { page, problems } = await open(store, {
      projects: async () => [project],
      authorize: async () => ({ all: true }),
      organizations: async () => [{ id: 'org-1', name: orgName }],
      title,
    });
    await signIn(page, 'any-token');
    const section = page.locator('[data-testid="project"]').first();
    await eventually(
      () => section.getAttribute('data-project'),
      (value) => value === project,
      'the project',
    );

    expect(await page.title()).toBe(title);
    expect(await textOf(page, '#title')).toBe(title);
    expect(await section.locator('[data-testid="project-name"]').textContent()).toBe(project);
    expect(await page.locator('[data-testid="running-task"] [data-testid="target"]').textContent()).toBe(
      target,
    );
    expect(await page.locator('[data-testid="running-task"] [data-testid="worker"]').textContent()).toBe(
      target,
    );
    const failure = page.locator(`[data-testid="failure"][data-task-id="${failing!.id}"]`);
    expect(await failure.locator('[data-testid="error-message"]').textContent()).toBe(message);
    expect(await failure.locator('[data-testid="error-code"]').textContent()).toBe(code);
    const hostRow = page.locator(`[data-testid="task"][data-task-id="${withHostname[0]!.id}"]`);
    expect(await hostRow.locator('[data-testid="target"]').textContent()).toBe(`127.0.0.1${hostname}`);
    expect(await page.locator('[data-testid="organization-name"]').textContent()).toBe(orgName);

    // Nothing ran and no element came from the data: only the page's own two scripts, no img, svg, iframe, i.
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(2);
    expect(
      await page.locator('#dashboard img, #dashboard svg, #dashboard iframe, #dashboard i').count(),
    ).toBe(0);
    expect(await page.locator('#failures-body b').count()).toBe(0);
    expect(problems.dialogs).toEqual([]);
    expect(problems.errors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
  });
});
