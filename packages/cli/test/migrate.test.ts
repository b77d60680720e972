import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const SCHEMA = `sp_cli_${process.pid}_${Date.now().toString(36)}`;
let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: URL, max: 2, connectionTimeoutMillis: 5000 });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${URL} does not answer (${(error as Error).message}): start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or set DATABASE_URL.',
    );
  }
});
afterAll(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await pool?.end();
});

describe('scanplane migrate', () => {
  it('applies the migrations, then finds the schema up to date', async () => {
    const first = await runCli(['migrate', '--database-url', URL, '--schema', SCHEMA]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^schema ${SCHEMA}: applied 1, .*; now at version \\d+\\n$`));
    const tables = await pool.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [SCHEMA],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['tasks', 'task_history', 'migrations']),
    );
    const again = await runCli(['migrate', '--database-url', URL, '--schema', SCHEMA]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^schema ${SCHEMA} is up to date \\(version \\d+\\)\\n$`));
  });

  it('says what is wrong: a bad schema name, a server that does not answer, no server at all', async () => {
    const bad = await runCli(['migrate', '--database-url', URL, '--schema', 'Robert"); DROP']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/INVALID_ARGUMENT: schema .* is not a valid schema name/);
    const down = await runCli(['migrate', '--database-url', 'postgres://postgres@127.0.0.1:1/postgres']);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/UNAVAILABLE/);
    const none = await runCli(['migrate', '--database-url', '']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/pass --database-url URL or set DATABASE_URL/);
  });
});
