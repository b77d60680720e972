// The real servers the tests use: PostgreSQL (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) and
// RabbitMQ (AMQP_URL, else amqp://guest:guest@127.0.0.1:5672). Every test file takes its own schemas and its own
// queue prefix (random names) and removes exactly those at the end; nothing else on the servers is touched.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createPostgresStore } from '@scanplane/postgres';
import { delayBucket, MAX_DELAY_BUCKET_MS, topologyNames } from '@scanplane/rabbitmq';
import amqplib from 'amqplib';
import { startTaskerService, type TaskerService, type TaskerServiceOptions } from '../../src/service.js';

export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
/** The admin token of the test services. */
export const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;

const withoutPassword = (url: string): string => url.replace(/\/\/[^@/]*@/, '//');

/** Fails with how to start PostgreSQL or RabbitMQ when either does not answer. */
export async function requireServers(): Promise<void> {
  const store = await createPostgresStore({
    connectionString: DATABASE_URL,
    migrate: false,
    maxConnections: 1,
  });
  try {
    await store.pool.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL does not answer at ${withoutPassword(DATABASE_URL)} (${(error as Error).message}). Start it ` +
        '(`pg_ctlcluster 15 main start`, or `apt-get install -y postgresql`) or set DATABASE_URL.',
    );
  } finally {
    await store.close();
  }
  try {
    const connection = await amqplib.connect(AMQP_URL);
    await connection.close();
  } catch (error) {
    throw new Error(
      `RabbitMQ does not answer at ${withoutPassword(AMQP_URL)} (${(error as Error).message}). Start it ` +
        '(`rabbitmq-server -detached`, or `apt-get install -y rabbitmq-server`) or set AMQP_URL.',
    );
  }
}

/** Names of one test file's own schemas and queue prefix. */
export interface TestNames {
  /** The scanplane store's schema. */
  storeSchema: string;
  /** The service's own schema (projects, tokens). */
  serviceSchema: string;
  /** The RabbitMQ prefix. */
  queuePrefix: string;
}

/** Fresh names for one test file: `tasker_<file>_<random>` schemas and a `tasker-<file>-<random>` prefix. */
export function testNames(file: string): TestNames {
  const id = `${file.replace(/[^a-z0-9]/g, '')}_${randomBytes(4).toString('hex')}`;
  return {
    storeSchema: `tasker_${id}`,
    serviceSchema: `tasker_${id}_svc`,
    queuePrefix: `tasker-${id.replace(/_/g, '-')}`,
  };
}

/** Drops the test file's schemas. */
export async function dropSchemas(names: TestNames): Promise<void> {
  const store = await createPostgresStore({
    connectionString: DATABASE_URL,
    migrate: false,
    maxConnections: 1,
  });
  try {
    for (const schema of [names.storeSchema, names.serviceSchema]) {
      await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  } finally {
    await store.close();
  }
}

/** Deletes every queue and exchange the prefix can have (work queues of `kinds`, delay buckets, dead letters). */
export async function deleteTopology(prefix: string, kinds: readonly string[]): Promise<void> {
  const names = topologyNames(prefix);
  const buckets = new Set<number>();
  for (let ms = 10; ms <= MAX_DELAY_BUCKET_MS; ms = Math.ceil(ms * 1.05)) buckets.add(delayBucket(ms));
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    const queues = [...kinds.map((kind) => names.workQueue(kind)), names.deadQueue];
    for (const bucket of buckets) queues.push(names.delayQueue(bucket));
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of [names.tasks, names.delay, names.dead, names.cancel])
      await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** A test service and how to clean up after it. */
export interface TestService {
  /** The running service (not listening until `listen`). */
  service: TaskerService;
  /** The names it uses. */
  names: TestNames;
  /** Its base URL once listening. */
  url: string;
  /** Closes the service, then drops its schemas and deletes its queues. */
  cleanup(): Promise<void>;
}

/**
 * Starts a Tasker service on the real servers with the file's own names, listening on an ephemeral port of
 * 127.0.0.1. Worker output is kept (and printed only when `VERBOSE` is set).
 */
export async function startTestService(
  file: string,
  overrides: Partial<TaskerServiceOptions> = {},
): Promise<TestService> {
  await requireServers();
  const names = testNames(file);
  const kinds = overrides.kinds ?? ['tcp-connect'];
  let service: TaskerService | undefined;
  const cleanup = async (): Promise<void> => {
    await service?.close();
    await dropSchemas(names);
    await deleteTopology(names.queuePrefix, kinds);
  };
  try {
    service = await startTaskerService({
      databaseUrl: DATABASE_URL,
      amqpUrl: AMQP_URL,
      ...names,
      adminToken: ADMIN_TOKEN,
      kinds,
      workers: 1,
      dashboard: false,
      workerOutput: (line, _stream, workerId) => {
        if (process.env['VERBOSE']) process.stderr.write(`[${workerId}] ${line}\n`);
      },
      ...overrides,
    });
    const url = await service.listen({ port: 0 });
    return { service, names, url, cleanup };
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
}

/** A TCP listener on 127.0.0.1 (ephemeral port) that accepts and closes connections, and a port nothing listens on. */
export async function loopbackPorts(): Promise<{ open: number; closed: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const listen = async (): Promise<Server> => {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    return server;
  };
  const portOf = (server: Server): number => {
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    return address.port;
  };
  const server = await listen();
  const probe = await listen();
  const closed = portOf(probe);
  await new Promise((resolve) => probe.close(resolve));
  return {
    open: portOf(server),
    closed,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Polls `check` every `everyMs` until it returns true, or fails after `timeoutMs` with `what`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON the route answered.
type AnyJson = any;

/** A JSON request to the service; returns the status and the parsed body (JSON, or the text). */
export async function call(
  url: string,
  path: string,
  options: { method?: string; token?: string; body?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<{ status: number; body: AnyJson; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${url}${path}`, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('application/json')) parsed = JSON.parse(text);
  return { status: response.status, body: parsed, headers: response.headers };
}
