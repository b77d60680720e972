// Bad requests get a 4xx JSON answer with a scanplane error code that says what and where — and nothing is created:
// no task in the store, no message in the queue. Also what `orchestrator.submit` itself does with bad input, which is
// why the service checks every entry before submitting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, startTestService, type TestService } from './support/servers.js';

let test: TestService;
let token: string;

beforeAll(async () => {
  // No worker: whatever were created would stay queued, visible to the checks below.
  test = await startTestService('badreq', { workers: 0, bodyLimit: 64 * 1024, requireWorkers: false });
  token = (await test.service.tokens.createToken('acme')).token;
});

afterAll(async () => {
  await test?.cleanup();
});

/** Nothing at all in the store's task table and the work queue. */
async function expectNothingCreated(): Promise<void> {
  const { rows } = await test.service.store.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM "${test.names.storeSchema}".tasks`,
  );
  expect(Number(rows[0]?.n)).toBe(0);
  expect(await test.service.queue.depth('tcp-connect')).toBe(0);
}

const run = (body: unknown, options: { token?: string; project?: string } = {}) =>
  call(test.url, `/tasks/${options.project ?? 'acme'}/run`, { token: options.token ?? token, body });

describe('bad requests', () => {
  it('refuses the whole request when one target is invalid, naming each bad entry and where it is', async () => {
    const answer = await run({
      targets: ['127.0.0.1', '10.1', '127.0.0.2', 'not a host', '010.0.0.1'],
      ports: '80',
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ statusCode: 422, code: 'TARGET_INVALID', retryable: false });
    expect(answer.body.message).toContain('targets[1]');
    expect(answer.body.details.field).toBe('targets');
    expect(answer.body.details.count).toBe(3);
    expect(answer.body.details.entries.map((entry: { index: number }) => entry.index)).toEqual([1, 3, 4]);
    expect(answer.body.details.entries[0]).toMatchObject({ entry: '10.1' });
    await expectNothingCreated();
  });

  it('refuses run-nmap where the workers do not run nmap, instead of scanning another way', async () => {
    const answer = await call(test.url, '/tasks/acme/run-nmap', {
      token,
      body: { targets: ['127.0.0.1'], ports: '80' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'mode', mode: 'nmap' } });
    await expectNothingCreated();
  });

  it('refuses bad ports with PORTS_INVALID naming the field', async () => {
    for (const ports of ['0', '1-70000', 'http', '80,,443']) {
      const answer = await run({ targets: ['127.0.0.1'], ports });
      expect(answer.status, ports).toBe(422);
      expect(answer.body.code).toBe('PORTS_INVALID');
      expect(answer.body.details.field).toBe('ports');
      expect(answer.body.message).toContain('"ports"');
    }
    await expectNothingCreated();
  });

  it('refuses entries and requests over the size caps before expanding anything', async () => {
    const entry = await run({ targets: ['127.0.0.1', '10.0.0.0/8'], ports: '80' });
    expect(entry.status).toBe(422);
    expect(entry.body.code).toBe('TARGET_TOO_LARGE');
    expect(entry.body.details.entries[0]).toMatchObject({ index: 1, entry: '10.0.0.0/8' });
    const request = await run({
      targets: Array.from({ length: 17 }, (_, i) => `127.${i}.0.0/16`),
      ports: '80',
    });
    expect(request.status).toBe(422);
    expect(request.body.code).toBe('TARGET_TOO_LARGE');
    expect(request.body.details.maxAddressesPerRequest).toBe(1_048_576);
    await expectNothingCreated();
  });

  it('refuses an invalid exclusion', async () => {
    const answer = await run({ targets: ['127.0.0.0/30'], exclude: ['127.0.0.1', 'bad entry'], ports: '80' });
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('TARGET_INVALID');
    expect(answer.body.details.field).toBe('exclude');
    await expectNothingCreated();
  });

  it('refuses schema violations: unknown fields, wrong types, unknown modes, missing targets', async () => {
    const cases: unknown[] = [
      { targets: ['127.0.0.1'], ports: '80', top_ports: 100 },
      { targets: '127.0.0.1', ports: '80' },
      { targets: ['127.0.0.1'], ports: 80 },
      { targets: ['127.0.0.1'], mode: 'masscan' },
      { targets: ['127.0.0.1'], timeout: 0 },
      { targets: [] },
      { ports: '80' },
      [],
    ];
    for (const body of cases) {
      const answer = await run(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.code).toBe('INVALID_ARGUMENT');
    }
    const unknownField = await run({ targets: ['127.0.0.1'], ports: '80', top_ports: 100 });
    expect(unknownField.body.reason).toBe('schema_violation');
    expect(JSON.stringify(unknownField.body.details)).toContain('top_ports');
    const both = await run({ targets: ['127.0.0.1'], hosts: ['127.0.0.2'] });
    expect(both.status).toBe(400);
    expect(both.body.details.field).toBe('targets');
    await expectNothingCreated();
  });

  it('answers 413 with a code for an oversized body, 415 for a body that is not JSON, 400 for broken JSON', async () => {
    const big = await run({ targets: Array.from({ length: 6000 }, (_, i) => `127.1.${i >> 8}.${i & 255}`) });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ statusCode: 413, code: 'INVALID_ARGUMENT', reason: 'body_too_large' });
    const text = await call(test.url, '/tasks/acme/run', {
      token,
      rawBody: 'targets=127.0.0.1',
      contentType: 'text/plain',
    });
    expect(text.status).toBe(415);
    expect(text.body.reason).toBe('unsupported_media_type');
    const broken = await call(test.url, '/tasks/acme/run', { token, rawBody: '{"targets": ["127.0.0.1"' });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'malformed_body' });
    await expectNothingCreated();
  });

  it('answers 404 for an unknown project and an unknown route', async () => {
    const unknown = await run(
      { targets: ['127.0.0.1'], ports: '80' },
      { token: ADMIN_TOKEN, project: 'nobody' },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown_project' });
    expect(unknown.body.message).toContain('nobody');
    const status = await call(test.url, '/tasks/nobody/status', { token: ADMIN_TOKEN });
    expect(status.status).toBe(404);
    const route = await call(test.url, '/tasks/acme/launch', { token, body: {} });
    expect(route.status).toBe(404);
    expect(route.body).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown_route' });
    await expectNothingCreated();
  });

  it('accepts the same request once it is valid (the checks above refused only what was wrong)', async () => {
    const answer = await run({ targets: ['127.0.0.1', '127.0.0.2'], ports: '80' });
    expect(answer.status).toBe(200);
    expect(answer.body.tasks.created).toBe(2);
    expect((await test.service.store.count({ project: 'acme' })).queued).toBe(2);
    await test.service.orchestrator.stop('acme');
  });

  it('shows why the service checks first: the library submits the valid entries of a mixed list', async () => {
    const { orchestrator, store } = test.service;
    // Bad ports and a bad exclusion throw before anything is created…
    await expect(orchestrator.submit('lib', ['127.0.0.1'], { ports: '0' })).rejects.toMatchObject({
      code: 'PORTS_INVALID',
    });
    await expect(
      orchestrator.submit('lib', ['127.0.0.1'], { ports: '80', exclude: ['bad entry'] }),
    ).rejects.toMatchObject({ code: 'TARGET_INVALID' });
    expect((await store.count({ project: 'lib' })).queued).toBe(0);
    // …but an invalid target is refused on its own while the rest is queued: the API refuses the whole request.
    const mixed = await orchestrator.submit('lib', ['127.0.0.1', '10.1'], { ports: '80' });
    expect(mixed.summary.refused.invalid).toBe(1);
    expect(mixed.summary.tasks).toBe(1);
    await orchestrator.stop('lib');
  });
});
