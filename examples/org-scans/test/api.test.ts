// The operators' HTTP API end to end, over real HTTP, on PostgreSQL and Docker: the token gate, organizations and
// scans CRUD with typed errors, a manual run and a scheduler invoke that make a real container scan a listener on
// 127.0.0.1, task search with paging, logs, and a kill that really stops the container.
import { waitFor } from '@scanplane/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type Listeners, openListeners } from '../src/demo/listeners.js';
import {
  createTestDeployment,
  startTestDocker,
  type TestDeployment,
  type TestDocker,
} from './support/org-scans-harness.js';

let docker: TestDocker;
let test: TestDeployment;
let base: string;
let acme: Listeners;
let closed: number;

beforeAll(async () => {
  docker = await startTestDocker();
  test = await createTestDeployment(docker);
  test.deployment.orchestrator.start();
  base = await test.deployment.listen('127.0.0.1', 0);
  acme = await openListeners(1);
  closed = await closedPort();
}, 180_000);

afterAll(async () => {
  await acme?.close();
  await test?.dispose();
  await docker?.engine.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field by the assertions.
type Json = any;

interface Answer {
  status: number;
  body: Json;
  text: string;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = test.operatorToken,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/** Polls a task through the API until its status is one of `statuses`. */
async function taskReaches(id: string, statuses: string[]): Promise<Json> {
  let task: Json;
  await waitFor(
    async () => {
      task = (await call('GET', `/scan-tasks/${id}`)).body;
      return statuses.includes(task?.status);
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `task ${id} to become ${statuses.join(' or ')}` },
  );
  return task;
}

describe('the org-scans HTTP API', () => {
  it('refuses requests without the operator token (401), and the dashboard too', async () => {
    for (const token of [null, 'not-the-operators-token']) {
      const answer = await call('GET', '/organizations', undefined, token);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(answer.body.error).toMatchObject({
        code: 'UNAUTHENTICATED',
        details: { where: 'headers/authorization' },
      });
    }
    expect((await call('POST', '/scheduler/invoke', undefined, null)).status).toBe(401);
    expect((await call('GET', '/dashboard/snapshot', undefined, null)).status).toBe(401);
    expect((await call('GET', '/dashboard/snapshot')).status).toBe(200);
  });

  it('organizations: create, read, list by tag, replace, delete — with typed 4xx errors naming the field', async () => {
    const created = await call('POST', '/organizations', {
      id: 'acme',
      name: 'Acme Energy',
      passive: false,
      tags: ['energy'],
      scope: { ipBlocks: ['127.0.0.1'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: 'acme',
      name: 'Acme Energy',
      passive: false,
      tags: ['energy'],
      scope: { ipBlocks: ['127.0.0.1'] },
    });
    expect(
      (await call('POST', '/organizations', { id: 'acme', name: 'Again', passive: false })).body.error.code,
    ).toBe('CONFLICT');

    const badBlock = await call('POST', '/organizations', {
      name: 'Bad',
      passive: false,
      scope: { ipBlocks: ['127.0.0.1', '10.0.0.256'] },
    });
    expect(badBlock.status).toBe(400);
    expect(badBlock.body.error).toMatchObject({
      code: 'TARGET_INVALID',
      details: { where: 'scope.ipBlocks[1]' },
    });
    const domainAsBlock = await call('POST', '/organizations', {
      name: 'Bad',
      passive: false,
      scope: { ipBlocks: ['example.com'] },
    });
    expect(domainAsBlock.body.error.code).toBe('TARGET_INVALID');
    const unknownField = await call('POST', '/organizations', {
      name: 'Bad',
      passive: false,
      isPassive: true,
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(unknownField.body.error.message).toContain('isPassive');
    const missing = await call('POST', '/organizations', { name: 'No passive flag' });
    expect(missing.body.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { where: 'body/passive' },
    });

    const passive = await call('POST', '/organizations', {
      id: 'initech',
      name: 'Initech',
      passive: true,
      tags: ['energy'],
      scope: { ipBlocks: ['127.0.0.1'], rootDomains: ['LocalHost'] },
    });
    expect(passive.body.scope.rootDomains).toEqual(['localhost']);
    const temporary = await call('POST', '/organizations', {
      name: 'Temporary',
      passive: false,
      tags: ['retail'],
    });
    expect(temporary.status).toBe(201);
    const temporaryId: string = temporary.body.id;

    expect((await call('GET', '/organizations/acme')).body.name).toBe('Acme Energy');
    expect((await call('GET', '/organizations?tag=energy')).body.map((o: { id: string }) => o.id)).toEqual([
      'acme',
      'initech',
    ]);
    const replaced = await call('PUT', `/organizations/${temporaryId}`, {
      name: 'Renamed',
      passive: false,
      tags: [],
    });
    expect(replaced.body).toMatchObject({ id: temporaryId, name: 'Renamed', tags: [] });
    expect((await call('PUT', '/organizations/nobody', { name: 'x', passive: false })).status).toBe(404);
    expect((await call('DELETE', `/organizations/${temporaryId}`)).status).toBe(204);
    const gone = await call('GET', `/organizations/${temporaryId}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 'NOT_FOUND', details: { where: 'params/id' } });
  });

  it('scans: the type decides passive and global; arguments, selections and dependencies are checked', async () => {
    const badPorts = await call('POST', '/scans', {
      type: 'portscan',
      frequencySeconds: 60,
      arguments: { ports: '80,70000' },
    });
    expect(badPorts.status).toBe(400);
    expect(badPorts.body.error.code).toBe('PORTS_INVALID');
    const badType = await call('POST', '/scans', { type: 'amass', frequencySeconds: 60 });
    expect(badType.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { where: 'body/type' } });
    const noSchedule = await call('POST', '/scans', { type: 'discovery' });
    expect(noSchedule.body.error.message).toContain('frequencySeconds/cron');
    const unknownOrg = await call('POST', '/scans', {
      type: 'discovery',
      frequencySeconds: 60,
      granular: { organizations: ['nobody'] },
    });
    expect(unknownOrg.body.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { where: 'body/granular/organizations/0' },
    });

    const portscan = await call('POST', '/scans', {
      id: 'portscan',
      type: 'portscan',
      frequencySeconds: 86_400,
      granular: { tags: ['energy'] },
      arguments: { ports: `${acme.ports.join(',')},${closed}` },
    });
    expect(portscan.status).toBe(201);
    expect(portscan.body).toMatchObject({
      id: 'portscan',
      passive: false,
      global: false,
      resources: { memory: 256 },
    });
    const discovery = await call('POST', '/scans', {
      id: 'discovery',
      type: 'discovery',
      cron: '0 3 * * *',
      granular: { organizations: ['acme'] },
    });
    expect(discovery.body).toMatchObject({ passive: true, cron: '0 3 * * *' });
    const dependent = await call('POST', '/scans', {
      id: 'later',
      type: 'discovery',
      frequencySeconds: 60,
      dependsOn: ['nothing'],
    });
    expect(dependent.body.error.details.where).toBe('body/dependsOn/0');

    expect((await call('GET', '/scans?tag=energy')).body.map((s: { id: string }) => s.id)).toEqual([
      'portscan',
    ]);
    expect(
      (await call('GET', '/scans?organizationId=initech')).body.map((s: { id: string }) => s.id),
    ).toEqual(['portscan']);
    expect((await call('GET', '/scans?organizationId=acme')).body.map((s: { id: string }) => s.id)).toEqual([
      'discovery',
      'portscan',
    ]);
    const replaced = await call('PUT', '/scans/discovery', { type: 'discovery', frequencySeconds: 7200 });
    expect(replaced.body).toMatchObject({ id: 'discovery', frequencySeconds: 7200 });
    expect(replaced.body.cron).toBeUndefined();
    expect((await call('DELETE', '/scans/discovery')).status).toBe(204);
    expect((await call('GET', '/scans/discovery')).status).toBe(404);
  });

  it('run now, then invoke: a container scans the listener; search, paging, logs and explain', async () => {
    const requested = await call('POST', '/scans/portscan/run');
    expect(requested.status).toBe(202);
    expect(requested.body.manualRunRequestedAt).toEqual(expect.any(Number));
    expect((await call('POST', '/scans/nothing/run')).status).toBe(404);

    const invoked = await call('POST', '/scheduler/invoke');
    expect(invoked.status).toBe(200);
    expect(invoked.body.failed).toEqual([]);
    expect(invoked.body.planned).toEqual([
      { scanId: 'portscan', organizationIds: ['acme'], decision: 'launch', manual: true },
    ]);
    expect(invoked.body.skipped).toContainEqual({
      scanId: 'portscan',
      organizationId: 'initech',
      reason: 'passive-organization',
    });

    const search = await call('GET', '/scan-tasks?scanId=portscan');
    expect(search.body.total).toBe(1);
    const [task] = search.body.items;
    expect(task).toMatchObject({ scanId: 'portscan', kind: 'portscan', organizationIds: ['acme'] });
    const done = await taskReaches(task.id, ['finished', 'failed', 'cancelled']);
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    expect(done.container).toMatch(/^orgscans_acme-energy_portscan_/);
    expect(done.result.organizations.acme.result.openPorts).toEqual(acme.ports);
    expect(done.history.map((step: { to: string }) => step.to)).toEqual([
      'queued',
      'requested',
      'started',
      'finished',
    ]);
    expect(acme.connections()).toBeGreaterThan(0);
    expect((await call('GET', '/scan-tasks?scanId=portscan&organizationId=initech')).body.total).toBe(0);

    const logs = await call('GET', `/scan-tasks/${task.id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(logs.text).toMatch(new RegExp(`stdout portscan acme: open 127\\.0\\.0\\.1:${acme.ports[0]}`));
    const jsonLogs = await call('GET', `/scan-tasks/${task.id}/logs?format=json&tail=1`);
    expect(jsonLogs.body.lines).toHaveLength(1);
    expect(jsonLogs.body.lines[0].text).toMatch(/^SCANPLANE_RESULT /);

    // Nothing is due any more; the manual run was cleared.
    const again = await call('POST', '/scheduler/invoke');
    expect(again.body.planned).toEqual([]);
    expect((await call('GET', '/scans/portscan')).body.manualRunRequestedAt).toBeUndefined();
    const why = await call('GET', '/scheduler/explain?scanId=portscan&organizationId=initech');
    expect(why.body).toMatchObject({ run: false, reason: 'passive-organization' });
    expect((await call('GET', '/scheduler/explain?scanId=portscan&organizationId=nobody')).status).toBe(404);

    const finished = await call('GET', '/scan-tasks?status=finished&status=failed&limit=1');
    expect(finished.body.items).toHaveLength(1);
    expect((await call('GET', '/scan-tasks?status=done')).body.error.code).toBe('INVALID_ARGUMENT');
    expect((await call('GET', '/scan-tasks/no-such-task')).status).toBe(404);
  });

  it('kill stops the running container for real and cancels the task', async () => {
    const scan = await call('POST', '/scans', {
      id: 'long-test',
      type: 'test',
      frequencySeconds: 86_400,
      arguments: { durationMs: 600_000 },
    });
    expect(scan.body).toMatchObject({ global: true, passive: true });
    const invoked = await call('POST', '/scheduler/invoke');
    expect(invoked.body.planned).toEqual([
      { scanId: 'long-test', organizationIds: [], decision: 'launch', manual: false },
    ]);
    const page = await call('GET', '/scan-tasks?scanId=long-test&status=requested&status=started');
    const running = await taskReaches(page.body.items[0].id, ['started']);
    const container = docker.engine.docker.getContainer(running.container);
    expect((await container.inspect()).State.Running).toBe(true);
    // The worker inside is up: its first line is in the container's output.
    await waitFor(
      async () => (await call('GET', `/scan-tasks/${running.id}/logs`)).text.includes('test: task'),
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: 'the worker to log its first line',
      },
    );

    // A second task, on the first page of a paged search with the first.
    const pages = await call('GET', '/scan-tasks?limit=1');
    expect(pages.body.total).toBe(2);
    expect(pages.body.next).toBe(pages.body.items[0].id);
    const second = await call('GET', `/scan-tasks?limit=1&after=${pages.body.next}`);
    expect(second.body.items[0].id).toBe(running.id);
    expect(second.body.next).toBeUndefined();

    const killed = await call('POST', `/scan-tasks/${running.id}/kill`);
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ id: running.id, status: 'cancelled', stopped: running.container });
    // Stopped and removed by the launcher: Docker no longer knows the container.
    await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    const after = await call('GET', `/scan-tasks/${running.id}`);
    expect(after.body).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    const twice = await call('POST', `/scan-tasks/${running.id}/kill`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('INVALID_TRANSITION');
    // Its output survives the container: the worker's last line says the stop reached it.
    const logs = (await call('GET', `/scan-tasks/${running.id}/logs`)).text;
    expect(logs).toContain('test: task');
    expect(logs).toMatch(/SCANPLANE_ERROR .*"code":"ABORTED"/);
    expect((await call('POST', '/scan-tasks/nothing/kill')).status).toBe(404);
  });
});
