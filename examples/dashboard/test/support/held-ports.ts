// TCP ports on 127.0.0.1 where a connect attempt hangs: a child process listens on them with the smallest backlog
// and then blocks its event loop, so it never accepts; this file fills each accept queue with two connections of
// its own, after which the kernel drops further SYNs. A TCP connect probe of such a port waits for its timeout:
// slow scan work without any address other than 127.0.0.1.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

/** Ports where connects hang, and how to release them. */
export interface HeldPorts {
  /** The ports. */
  ports: number[];
  /** Kills the listener process and drops the filler connections. */
  close(): Promise<void>;
}

/** The listener: listens on `count` ports (backlog 1), prints them as JSON, then blocks forever. */
const LISTENER = `
const net = require('node:net');
const count = Number(process.argv[1]);
const servers = Array.from({ length: count }, () => net.createServer());
Promise.all(servers.map((server) => new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, resolve))))
  .then(() => {
    process.stdout.write(JSON.stringify(servers.map((server) => server.address().port)) + '\\n');
    setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 100);
  });
`;

/** Connects to `port` and resolves once connected (the kernel completes it; nobody accepts). */
function fill(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Opens `count` held ports. */
export async function holdPorts(count: number): Promise<HeldPorts> {
  const child: ChildProcess = spawn(process.execPath, ['-e', LISTENER, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise<number[]>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(JSON.parse(text) as number[]);
    });
    child.once('exit', (code) => reject(new Error(`the held-port listener exited early (${code})`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // its event loop is blocked from here on
  const fillers: Socket[] = [];
  for (const port of ports) for (let i = 0; i < 2; i++) fillers.push(await fill(port));
  return {
    ports,
    async close() {
      for (const socket of fillers) socket.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Whether a connect to `port` on 127.0.0.1 is still pending after `waitMs` (true for a held port). */
export function connectHangs(port: number, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(true);
    }, waitMs);
    const settle = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(false);
    };
    socket.once('connect', settle);
    socket.once('error', settle);
  });
}
