// TLS: a self-signed certificate made here with openssl; the service given `tls` answers over HTTPS (a client that
// trusts the certificate gets through, one that does not is refused, and plain HTTP gets no API answer).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackPorts, startTestService, type TestService, waitFor } from './support/servers.js';

const run = promisify(execFile);
let test: TestService;
let dir: string;
let cert: string;
let ports: Awaited<ReturnType<typeof loopbackPorts>>;

/** An HTTPS request trusting `ca` (or nothing but the system's roots). */
function httpsCall(
  url: string,
  options: { method?: string; token?: string; body?: unknown; ca?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        headers: {
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tasker-tls-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
  } catch (error) {
    throw new Error(
      `openssl could not make a certificate (apt-get install -y openssl): ${(error as Error).message}`,
    );
  }
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  ports = await loopbackPorts();
  test = await startTestService('tls', { tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') } });
});

afterAll(async () => {
  await test?.cleanup();
  await ports?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('serves the API over HTTPS with the given certificate', async () => {
    expect(test.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsCall(`${test.url}/health`, { ca: cert });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ ok: true });

    const { token } = await test.service.tokens.createToken('secure');
    const submitted = await httpsCall(`${test.url}/tasks/secure/run`, {
      ca: cert,
      token,
      body: { targets: ['127.0.0.1'], ports: String(ports.open) },
    });
    expect(submitted.status).toBe(200);
    expect(JSON.parse(submitted.body).tasks.created).toBe(1);
    await waitFor('the scan to finish', async () => {
      const status = await httpsCall(`${test.url}/tasks/secure/status`, { ca: cert, token });
      return JSON.parse(status.body).counts.finished === 1;
    });
  });

  it('is refused by a client that does not trust the certificate, and does not answer plain HTTP', async () => {
    await expect(httpsCall(`${test.url}/health`, {})).rejects.toThrow(/self[- ]signed|certificate/i);
    // Plain HTTP to the TLS port: the connection fails, or the TLS layer answers 400 — never the API's health.
    const plain = await fetch(`${test.url.replace('https:', 'http:')}/health`).then(
      (response) => response.status,
      () => 0,
    );
    expect(plain === 0 || plain === 400).toBe(true);
  });
});
