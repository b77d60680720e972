import { createServer, type Server, type Socket } from 'node:net';

/**
 * Listeners on 127.0.0.1 in one block of six consecutive ports, for demos and tests of the nmap handler: a plain TCP
 * port that says nothing (and hangs up once it is sent anything), one that greets like an OpenSSH server, one that
 * answers like an nginx HTTP server, and three closed ports between them.
 *
 * @example
 * ```ts
 * import type { LoopbackServices } from './loopback-services.js';
 * const spec = (services: LoopbackServices) => services.range; // e.g. '15000-15005'
 * ```
 */
export interface LoopbackServices {
  /** Always `127.0.0.1`. */
  host: string;
  /** The silent TCP port. */
  plain: number;
  /** The port that sends an SSH banner (`SSH-2.0-OpenSSH_8.9p1 …`). */
  ssh: number;
  /** The port that answers any request with an HTTP response from `nginx/1.18.0`. */
  http: number;
  /** The closed ports of the block. */
  closed: number[];
  /** The whole block as a port range (`first-last`). */
  range: string;
  /** Closes every listener and open connection. */
  close(): Promise<void>;
}

/** The SSH greeting the `ssh` listener sends. */
export const SSH_BANNER = 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n';
const HTTP_RESPONSE =
  'HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n';

/**
 * Starts {@link LoopbackServices} on a free block of ports between `from` and `to` (default 12000–19999: below
 * Linux's ephemeral range, so other tests' `listen(0)` sockets do not land inside it). Binds only to 127.0.0.1.
 *
 * @throws Error when no free block is found after 50 tries.
 * @example
 * ```ts
 * import { startLoopbackServices } from './loopback-services.js';
 * const services = await startLoopbackServices();
 * await services.close();
 * ```
 */
export async function startLoopbackServices(
  range: { from?: number; to?: number } = {},
): Promise<LoopbackServices> {
  const from = range.from ?? 12_000;
  const to = range.to ?? 19_999;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };
  const servers = {
    plain: createServer((socket) => {
      track(socket);
      socket.on('data', () => socket.destroy());
    }),
    ssh: createServer((socket) => {
      track(socket);
      socket.write(SSH_BANNER);
      socket.on('data', () => socket.destroy());
    }),
    http: createServer((socket) => {
      track(socket);
      socket.once('data', () => socket.end(HTTP_RESPONSE));
    }),
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - 5));
    const bound: Server[] = [];
    try {
      for (const [server, port] of [
        [servers.plain, base + 1],
        [servers.ssh, base + 2],
        [servers.http, base + 4],
      ] as const) {
        await listen(server, port);
        bound.push(server);
      }
      // The closed ports must be free now (nothing else listens on them).
      for (const port of [base, base + 3, base + 5]) await probeFree(port);
      return {
        host: '127.0.0.1',
        plain: base + 1,
        ssh: base + 2,
        http: base + 4,
        closed: [base, base + 3, base + 5],
        range: `${base}-${base + 5}`,
        async close() {
          for (const socket of sockets) socket.destroy();
          await Promise.all(Object.values(servers).map((server) => closeServer(server)));
        },
      };
    } catch {
      await Promise.all(bound.map((server) => closeServer(server)));
    }
  }
  throw new Error(`no free block of 6 ports on 127.0.0.1 between ${from} and ${to}`);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function probeFree(port: number): Promise<void> {
  const server = createServer();
  await listen(server, port);
  await closeServer(server);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
