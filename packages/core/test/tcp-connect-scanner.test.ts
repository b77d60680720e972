import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressSet, createTcpConnectScanner, PortSet, type ScanTask, scanTcp } from '../src/index.js';
import { taskIn } from '../src/tasks/task-fixture.js';

let servers: Server[] = [];
let open: number[] = [];
let closed = 0;
const contacted: string[] = [];

beforeAll(async () => {
  servers = await Promise.all(
    [0, 0].map(
      () =>
        new Promise<Server>((resolve) => {
          const server = createServer((socket) => {
            contacted.push(socket.localAddress ?? '?');
            socket.destroy();
          });
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  open = servers.map((server) => (server.address() as { port: number }).port);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  closed = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('scanTcp against listeners on 127.0.0.1', () => {
  it('finds the open ports with latencies, counts closed ones, and skips non-TCP ports', async () => {
    const result = await scanTcp(
      AddressSet.parse(['127.0.0.1', '127.0.0.2']),
      PortSet.parse(`${open.join(',')},${closed},U:53`),
      { timeoutMs: 1000, concurrency: 4 },
    );
    expect(result.open.map((o) => `${o.address}:${o.port}`).sort()).toEqual(
      open.map((port) => `127.0.0.1:${port}`).sort(),
    );
    expect(result.open.every((o) => o.latencyMs >= 0)).toBe(true);
    expect(result.closed).toBe(4); // 127.0.0.1:closed and 127.0.0.2 × 3 (listeners bind 127.0.0.1 only)
    expect(result.probes).toBe(6);
    expect(result.skipped).toEqual({ udp: 1, sctp: 0 });
    expect(contacted.every((address) => address === '127.0.0.1')).toBe(true);
  });

  it('refuses a scan over its probe limit before contacting anything', async () => {
    await expect(
      scanTcp(AddressSet.parse(['127.0.0.0/24']), PortSet.parse('1-1000'), { maxProbes: 1000 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('stops when aborted and says so', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      scanTcp(AddressSet.parse(['127.0.0.1']), PortSet.parse(String(closed)), { signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  it('is a task handler that scans only its task target', async () => {
    const handler = createTcpConnectScanner({ timeoutMs: 1000 });
    const task: ScanTask = taskIn('started', {
      target: { ip: '127.0.0.1', addresses: ['127.0.0.1/32'], hostnames: [], ports: `${open[0]},${closed}` },
    });
    const result = (await handler(task, { signal: new AbortController().signal, log: () => {} })) as {
      open: Array<{ port: number }>;
      closed: number;
    };
    expect(result.open.map((o) => o.port)).toEqual([open[0]]);
    expect(result.closed).toBe(1);
    await expect(
      handler(taskIn('started'), { signal: new AbortController().signal, log: () => {} }),
    ).rejects.toMatchObject({
      code: 'INVALID_COMMAND',
    });
  });

  it('as a handler, listens to the signal only for scans of more than one probe', async () => {
    const handler = createTcpConnectScanner({ timeoutMs: 1000 });
    let reads = 0;
    const controller = new AbortController();
    const context = {
      get signal() {
        reads++;
        return controller.signal;
      },
      log: () => {},
    };
    const one = taskIn('started', {
      target: { ip: '127.0.0.1', addresses: ['127.0.0.1/32'], hostnames: [], ports: String(closed) },
    });
    expect(await handler(one, context)).toMatchObject({ probes: 1, closed: 1 });
    expect(reads).toBe(0);
    const two = taskIn('started', {
      target: { ip: '127.0.0.1', addresses: ['127.0.0.1/32'], hostnames: [], ports: `${closed},${open[0]}` },
    });
    expect(await handler(two, context)).toMatchObject({ probes: 2, closed: 1 });
    expect(reads).toBe(1);
    // An aborted signal stops a scan of several probes before it contacts anything.
    controller.abort();
    await expect(handler(two, context)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
