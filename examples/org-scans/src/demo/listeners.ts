import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * TCP listeners this process opens on 127.0.0.1 to stand for an organization's services: the only thing the demo's
 * portscans ever reach. Each counts the connections it accepted.
 *
 * @example
 * ```ts
 * import { openListeners } from './listeners.js';
 * const lab = await openListeners(2);
 * lab.ports; // two ephemeral ports
 * await lab.close();
 * ```
 */
export interface Listeners {
  /** The ports, ascending. */
  readonly ports: number[];
  /** Connections accepted so far, by all of them. */
  connections(): number;
  /** Closes them. */
  close(): Promise<void>;
}

/** Opens `count` listeners on ephemeral ports of 127.0.0.1; each answers a connection by closing it. */
export async function openListeners(count: number): Promise<Listeners> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  for (let i = 0; i < count; i++) {
    const server = createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.end();
    });
    server.listen({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    servers.push(server);
  }
  const ports = servers.map((server) => (server.address() as { port: number }).port).sort((a, b) => a - b);
  return {
    ports,
    connections: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/**
 * A port of 127.0.0.1 that nothing listens on: bound, then closed.
 *
 * @example
 * ```ts
 * import { closedPort } from './listeners.js';
 * const port = await closedPort();
 * ```
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
