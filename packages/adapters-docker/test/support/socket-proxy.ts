// A Unix-socket proxy in front of the Docker daemon, so a test can cut the launcher's connections (its event stream
// among them) and refuse new ones for a while, as a daemon restart or a network fault would.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

export interface SocketProxy {
  /** The proxy's socket: give it to the launcher as `socketPath`. */
  socketPath: string;
  /** Destroys every open connection; with `refuse`, new connections are closed at once until `resume()`. */
  cut(options?: { refuse?: boolean }): void;
  /** Accepts connections again. */
  resume(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startSocketProxy(target: string): Promise<SocketProxy> {
  const dir = mkdtempSync('/tmp/spp-');
  const socketPath = join(dir, 'proxy.sock');
  const open = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = connect(target);
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    cut(options = {}) {
      refusing = options.refuse === true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    resume() {
      refusing = false;
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
