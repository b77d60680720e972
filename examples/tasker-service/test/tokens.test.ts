// Project tokens: stored as SHA-256 only, checked in constant time; every /tasks/{project}/… route needs a token of
// that project (or the admin token): missing or unknown → 401, another project's → 403, and a token of one project
// can see and stop nothing of another.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, startTestService, type TestService } from './support/servers.js';

let test: TestService;

beforeAll(async () => {
  // No worker: submitted tasks stay queued, so "another project could not stop them" is visible.
  test = await startTestService('tokens', { workers: 0, requireWorkers: false });
});

afterAll(async () => {
  await test?.cleanup();
});

describe('project tokens', () => {
  it('keeps only the SHA-256 of each token, never the token, and authenticates it', async () => {
    const { tokens, store } = test.service;
    const issued = await tokens.createToken('alpha');
    expect(issued.token).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    const { rows } = await store.pool.query<{ row: string; hash: string }>(
      `SELECT t::text AS row, encode(token_sha256, 'hex') AS hash FROM "${test.names.serviceSchema}".project_tokens t WHERE id = $1`,
      [issued.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.row).not.toContain(issued.token);
    expect(rows[0]?.row).not.toContain(issued.token.slice(4));
    expect(rows[0]?.hash).toBe(createHash('sha256').update(issued.token).digest('hex'));
    // Nowhere in the service's schema either.
    const { rows: all } = await store.pool.query<{ dump: string }>(
      `SELECT string_agg(t::text, ' ') AS dump FROM "${test.names.serviceSchema}".project_tokens t`,
    );
    expect(all[0]?.dump).not.toContain(issued.token.slice(4));

    expect(await tokens.authenticate(issued.token)).toEqual({
      kind: 'project',
      project: 'alpha',
      tokenId: issued.id,
    });
    expect(await tokens.authenticate(ADMIN_TOKEN)).toEqual({ kind: 'admin' });
    expect(await tokens.authenticate(`${issued.token.slice(0, -1)}x`)).toBeUndefined();
    expect(await tokens.authenticate('')).toBeUndefined();
    const second = await tokens.createToken('alpha');
    expect(second.token).not.toBe(issued.token);
    expect(await tokens.revokeToken(second.id)).toBe(true);
    expect(await tokens.authenticate(second.token)).toBeUndefined();
    expect(await tokens.authenticate(issued.token)).toMatchObject({ project: 'alpha' });
    await expect(tokens.createToken('bad project')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('answers 401 without a token or with an unknown one, on every project route', async () => {
    const routes: Array<[string, string, unknown]> = [
      ['POST', '/tasks/alpha/run', { targets: ['127.0.0.1'], ports: '80' }],
      ['GET', '/tasks/alpha/status', undefined],
      ['POST', '/tasks/alpha/stop', undefined],
      ['GET', '/tasks/alpha/stop-nmap', undefined],
      ['GET', '/workers', undefined],
      ['GET', '/workers/ips', undefined],
      ['GET', '/metrics', undefined],
    ];
    for (const [method, path, body] of routes) {
      const missing = await call(test.url, path, { method, body });
      expect(missing.status, `${method} ${path}`).toBe(401);
      expect(missing.body).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'missing_token' });
      const unknown = await call(test.url, path, { method, body, token: 'tsk_not-a-real-token' });
      expect(unknown.status, `${method} ${path}`).toBe(401);
      expect(unknown.body).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'invalid_token' });
    }
    const health = await call(test.url, '/health');
    expect(health.status).toBe(200);
  });

  it("refuses another project's token with 403: it can neither submit, see nor stop anything there", async () => {
    const alpha = (await test.service.tokens.createToken('alpha')).token;
    const beta = (await test.service.tokens.createToken('beta')).token;
    const submitted = await call(test.url, '/tasks/alpha/run', {
      token: alpha,
      body: { targets: ['127.0.0.1', '127.0.0.2'], ports: '80' },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body.tasks.created).toBe(2);

    const asBeta = [
      await call(test.url, '/tasks/alpha/run', {
        token: beta,
        body: { targets: ['127.0.0.3'], ports: '80' },
      }),
      await call(test.url, '/tasks/alpha/status', { token: beta }),
      await call(test.url, '/tasks/alpha/stop', { token: beta, method: 'POST' }),
      await call(test.url, '/tasks/alpha/stop-nmap', { token: beta }),
      // A project that does not exist looks the same to a project token: nothing is learnt about other projects.
      await call(test.url, '/tasks/nobody/status', { token: beta }),
      await call(test.url, '/metrics', { token: beta }),
    ];
    for (const answer of asBeta) {
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'forbidden' });
    }
    // Alpha's tasks are untouched, and nothing was created by beta's attempt.
    const status = await call(test.url, '/tasks/alpha/status', { token: alpha });
    expect(status.body.counts).toMatchObject({ queued: 2, cancelled: 0 });
    expect(
      (await test.service.store.list({ project: 'alpha' })).map((task) => task.target?.ip).sort(),
    ).toEqual(['127.0.0.1', '127.0.0.2']);
    // Beta sees only its own (empty) project; the workers list is open to any valid token.
    expect((await call(test.url, '/tasks/beta/status', { token: beta })).body.counts.queued).toBe(0);
    expect((await call(test.url, '/workers', { token: beta })).status).toBe(200);

    // The admin may do all, the project's own token too.
    expect((await call(test.url, '/tasks/alpha/status', { token: ADMIN_TOKEN })).status).toBe(200);
    const stop = await call(test.url, '/tasks/alpha/stop', { token: alpha, method: 'POST' });
    expect(stop.status).toBe(200);
    expect(stop.body.cancelled).toBe(2);
  });

  it('lets the admin issue project tokens through the API, and no one else', async () => {
    const issued = await call(test.url, '/projects/delta/tokens', { token: ADMIN_TOKEN, method: 'POST' });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ project: 'delta', token: expect.stringMatching(/^tsk_/) });
    expect((await call(test.url, '/tasks/delta/status', { token: issued.body.token })).status).toBe(200);
    expect(await test.service.tokens.projects()).toContain('delta');
    const asProject = await call(test.url, '/projects/epsilon/tokens', {
      token: issued.body.token,
      method: 'POST',
    });
    expect(asProject.status).toBe(403);
    expect((await call(test.url, '/projects/epsilon/tokens', { method: 'POST' })).status).toBe(401);
    const badName = await call(test.url, '/projects/no%20spaces/tokens', {
      token: ADMIN_TOKEN,
      method: 'POST',
    });
    expect(badName.status).toBe(400);
    expect(await test.service.tokens.projects()).not.toContain('epsilon');
  });

  it('accepts the bearer scheme in any case and refuses other schemes', async () => {
    const { token } = await test.service.tokens.createToken('gamma');
    const lower = await fetch(`${test.url}/tasks/gamma/status`, {
      headers: { authorization: `bearer ${token}` },
    });
    expect(lower.status).toBe(200);
    const basic = await fetch(`${test.url}/tasks/gamma/status`, {
      headers: { authorization: `Basic ${Buffer.from(`gamma:${token}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
  });
});
