// The live dashboard end to end in headless Chromium against the real Tasker service: PostgreSQL (its own
// schemas), RabbitMQ (its own prefix), one forked worker process running one task at a time. The page is driven
// like a person would: enter a token, submit targets from the form (and one through the API), watch the counts
// reach finished; then fill a project with slow work (ports on 127.0.0.1 where connects hang), see it run and queue,
// press its stop button and see everything cancelled. Only 127.0.0.1 is scanned, on listeners this file opens.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countOf,
  eventually,
  launchChromium,
  type PageProblems,
  signIn,
  textOf,
  watchPage,
} from '../../dashboard/test/support/browser.js';
import { connectHangs, type HeldPorts, holdPorts } from '../../dashboard/test/support/held-ports.js';
import { ADMIN_TOKEN, call, loopbackPorts, startTestService, type TestService } from './support/servers.js';

/** Long enough that a task probing held ports is still running when the test stops it. */
const TCP_TIMEOUT_MS = 60_000;

let test: TestService;
let ports: Awaited<ReturnType<typeof loopbackPorts>>;
let held: HeldPorts;
let browser: Browser;
let labToken: string;

beforeAll(async () => {
  ports = await loopbackPorts();
  held = await holdPorts(8);
  test = await startTestService('dashboard-browser', {
    workers: 1,
    workerConcurrency: 1,
    tcpTimeoutMs: TCP_TIMEOUT_MS,
    dashboard: true,
  });
  labToken = (await test.service.tokens.createToken('lab')).token;
  await test.service.tokens.createProject('slow');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await test?.cleanup();
  await held?.close();
  await ports?.close();
});

async function openDashboard(token: string): Promise<{ page: Page; problems: PageProblems }> {
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${test.url}/`);
  expect(await page.locator('#login').isVisible()).toBe(true);
  await signIn(page, token);
  await eventually(
    () => textOf(page, '#live-status'),
    (text) => text === 'live',
    'the live stream',
  );
  return { page, problems };
}

const project = (name: string) => `[data-testid="project"][data-project="${name}"]`;
const activeOf = async (page: Page, name: string) =>
  Number((await textOf(page, `${project(name)} [data-testid="project-active"]`))?.split(' ')[0]);

describe('dashboard in Chromium against the Tasker service', () => {
  it('submits from the page and through the API, and shows the counts reach finished', async () => {
    const { page, problems } = await openDashboard(labToken);
    // A project token sees its project only, and can submit only to it.
    await eventually(
      () => page.locator('[data-testid="project-name"]').allTextContents(),
      (names) => names.join() === 'lab',
      'only lab shown',
    );
    expect(await page.locator('#submit-project option').allTextContents()).toEqual(['lab']);

    await page.locator('#submit-targets').fill('127.0.0.1');
    await page.locator('#submit-ports').fill(`${ports.open},${ports.closed}`);
    await page.locator('#submit-button').click();
    await eventually(
      () => textOf(page, '#action-result'),
      (text) => text?.startsWith('Submitted 1 target(s) to lab: 1 task(s) created') === true,
      'the submit answer',
    );
    await eventually(
      () => countOf(page, 'finished', project('lab')),
      (n) => n === 1,
      'lab: 1 finished',
    );

    const viaApi = await call(test.url, '/tasks/lab/run', {
      token: labToken,
      body: { targets: ['127.0.0.1'], ports: String(ports.open) },
    });
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.tasks.created).toBe(1);
    await eventually(
      () => countOf(page, 'finished', project('lab')),
      (n) => n === 2,
      'lab: 2 finished',
    );
    expect(await activeOf(page, 'lab')).toBe(0);
    expect(await countOf(page, 'finished')).toBe(2);
    expect(await countOf(page, 'failed')).toBe(0);
    expect(await page.locator(`${project('lab')} [data-testid="task"][data-status="finished"]`).count()).toBe(
      2,
    );
    expect(await page.locator('[data-testid="project"][data-project="slow"]').count()).toBe(0);

    // The page agrees with the service's own status route.
    const status = await call(test.url, '/tasks/lab/status', { token: labToken });
    expect(status.body.counts).toMatchObject({ finished: 2, queued: 0, started: 0 });
    expect(problems.errors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
    await page.close();
  });

  it('shows slow work running and queued, and stops it with the stop button', async () => {
    expect(await connectHangs(held.ports[0]!, 500)).toBe(true); // the held ports do hold
    const { page, problems } = await openDashboard(ADMIN_TOKEN);
    await eventually(
      () => page.locator('[data-testid="project-name"]').allTextContents(),
      (names) => names.includes('lab') && names.includes('slow'),
      'the admin sees every project',
    );

    // Four tasks of two held ports each: one runs (the worker takes one at a time), three wait.
    const pairs = [0, 2, 4, 6].map((i) => `${held.ports[i]},${held.ports[i + 1]}`);
    for (const pair of pairs.slice(0, 3)) {
      const run = await call(test.url, '/tasks/slow/run', {
        token: ADMIN_TOKEN,
        body: { targets: ['127.0.0.1'], ports: pair },
      });
      expect(run.status).toBe(200);
      expect(run.body.tasks.created).toBe(1);
    }
    await page.locator('#submit-project').selectOption('slow');
    await page.locator('#submit-targets').fill('127.0.0.1');
    await page.locator('#submit-ports').fill(pairs[3]!);
    await page.locator('#submit-button').click();
    await eventually(
      () => textOf(page, '#action-result'),
      (text) => text?.startsWith('Submitted 1 target(s) to slow: 1 task(s) created') === true,
      'the submit answer',
    );

    await eventually(
      () => activeOf(page, 'slow'),
      (n) => n === 4,
      'slow: 4 active',
    );
    await eventually(
      () => countOf(page, 'started', project('slow')),
      (n) => n === 1,
      'slow: 1 started',
    );
    const running = page.locator('[data-testid="running-task"][data-project="slow"]');
    expect(await running.count()).toBe(1);
    expect(await running.locator('[data-testid="target"]').textContent()).toBe('127.0.0.1');
    expect(await running.locator('[data-testid="worker"]').textContent()).not.toBe('–');
    await eventually(
      () => running.locator('[data-testid="elapsed"]').textContent(),
      (text) => /^\d+s$/.test(text ?? ''),
      'elapsed time of the running task',
    );
    const waiting =
      ((await countOf(page, 'queued', project('slow'))) ?? 0) +
      ((await countOf(page, 'created', project('slow'))) ?? 0) +
      ((await countOf(page, 'requested', project('slow'))) ?? 0);
    expect(waiting).toBe(3);

    await page.locator(`${project('slow')} [data-testid="stop-project"]`).click();
    await eventually(
      () => textOf(page, '#action-result'),
      (text) => text?.startsWith('Stopped slow: 4 task(s) cancelled') === true,
      'the stop answer',
    );
    await eventually(
      () => countOf(page, 'cancelled', project('slow')),
      (n) => n === 4,
      'slow: 4 cancelled',
    );
    expect(await activeOf(page, 'slow')).toBe(0);
    await eventually(
      () => running.count(),
      (n) => n === 0,
      'nothing of slow running',
    );
    expect(await page.locator(`${project('slow')} [data-testid="stop-project"]`).isDisabled()).toBe(true);
    // lab is untouched.
    expect(await countOf(page, 'finished', project('lab'))).toBe(2);
    expect(await countOf(page, 'cancelled')).toBe(4);

    const status = await call(test.url, '/tasks/slow/status', { token: ADMIN_TOKEN });
    expect(status.body.counts).toMatchObject({ cancelled: 4, queued: 0, started: 0 });
    expect(problems.errors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
    await page.close();
  });
});
