// A PostgreSQL server for the adapter's integration tests: DATABASE_URL when it is set, else a throwaway cluster
// (initdb + pg_ctl) on a free loopback port in a temporary directory, stopped and removed at the end. Tests that
// restart or kill the server always start their own throwaway cluster.
import { execFile as execFileCallback } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFile = promisify(execFileCallback);

export interface TestServer {
  /** A connection string for the server's `postgres` database. */
  connectionString: string;
  /** Whether this process started the server (and may stop or restart it). */
  owned: boolean;
  /** Stops the server fast (`-m immediate`: like a crash), keeping its data directory. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops the server and removes its directory (nothing for DATABASE_URL). */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with `apt-get install -y postgresql` ' +
  '(Debian/Ubuntu), or point the tests at a running server with DATABASE_URL=postgres://user@127.0.0.1:5432/db.';

/** The directory holding initdb and pg_ctl: on PATH, or Debian's versioned directory. */
function binDirectory(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    for (const version of readdirSync(base).sort().reverse()) {
      const dir = join(base, version, 'bin');
      if (existsSync(join(dir, 'initdb'))) return dir;
    }
  }
  throw new Error(INSTALL_HINT);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** PostgreSQL refuses to run as root: run its tools as the `postgres` user then. */
async function run(bin: string, tool: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? 'runuser' : join(bin, tool);
  const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
  try {
    await execFile(command, argv, { timeout: 60_000 });
  } catch (error) {
    const output = `${(error as { stderr?: string }).stderr ?? ''}${(error as { stdout?: string }).stdout ?? ''}`;
    throw new Error(`${tool} ${args.join(' ')} failed: ${(error as Error).message}\n${output}`);
  }
}

/** Starts a throwaway cluster (always, whatever DATABASE_URL says). */
export async function startThrowawayServer(): Promise<TestServer> {
  const bin = binDirectory();
  const dir = mkdtempSync(join(tmpdir(), 'scanplane-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await userIds('postgres');
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await run(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const start = async (): Promise<void> => {
    await run(bin, 'pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
  };
  await start();
  let stopped = false;
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    owned: true,
    async crash() {
      await run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      await run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await execFile('id', ['-u', user]);
  const { stdout: gid } = await execFile('id', ['-g', user]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** DATABASE_URL's server when set (checked to answer), else a throwaway cluster. */
export async function startTestServer(): Promise<TestServer> {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') return startThrowawayServer();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `DATABASE_URL (${url}) does not answer: ${(error as Error).message}. Start the server ` +
        '(`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or unset DATABASE_URL to let ' +
        'the tests start a throwaway cluster.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  const notOwned = async (): Promise<void> => {
    throw new Error('the DATABASE_URL server is not the test’s own: it cannot be crashed or restarted');
  };
  return {
    connectionString: url,
    owned: false,
    crash: notOwned,
    start: notOwned,
    stop: async () => undefined,
  };
}

let schemaCounter = 0;

/** A fresh schema name for one test (dropped by {@link dropSchema}). */
export function uniqueSchema(prefix = 'sp_test'): string {
  schemaCounter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${schemaCounter}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
