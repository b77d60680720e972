import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../src/index.js';
import { dropSchema, startTestServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startTestServer();
  pool = new pg.Pool({ connectionString: server.connectionString, max: 20 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

describe('migrate', () => {
  it('applies every migration once, even when ten processes start at once', async () => {
    const schema = uniqueSchema();
    try {
      const results = await Promise.all(Array.from({ length: 10 }, () => migrate(pool, { schema })));
      const applied = results.flatMap((result) => result.applied);
      expect(applied.sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
      for (const result of results) expect(result.current).toBe(MIGRATIONS.at(-1)?.version);
      const rows = (await pool.query(`SELECT version FROM "${schema}".migrations ORDER BY version`)).rows;
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect((await migrate(pool, { schema })).applied).toEqual([]);
    } finally {
      await dropSchema(pool, schema);
    }
  });

  it('rolls a failed migration back whole, and says which one failed', async () => {
    const schema = uniqueSchema();
    try {
      const broken = [
        ...MIGRATIONS,
        {
          version: 1000,
          name: 'broken',
          sql: (s: string) => `CREATE TABLE ${s}.ok (id text); SELECT nonsense FROM nowhere`,
        },
      ];
      await expect(migrate(pool, { schema, migrations: broken })).rejects.toMatchObject({
        code: 'INTERNAL',
        message: expect.stringContaining('migration 1000 (broken)'),
      });
      // Nothing of the transaction stayed: not even the schema's earlier migrations of this call.
      const exists = await pool.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
        schema,
      ]);
      expect(exists.rowCount).toBe(0);
    } finally {
      await dropSchema(pool, schema);
    }
  });

  it('a role without the privilege is PERMISSION_DENIED; in a schema of its own it needs no CREATE on the database', async () => {
    const role = `sp_role_${Math.random().toString(36).slice(2, 10)}`;
    const schema = uniqueSchema();
    await pool.query(`CREATE ROLE ${role} LOGIN`);
    const url = new URL(server.connectionString);
    url.username = role;
    url.password = '';
    const limited = new pg.Pool({ connectionString: url.toString(), max: 2 });
    try {
      await expect(migrate(limited, { schema })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        retryable: false,
        message: expect.stringContaining(`migrating schema ${schema}: permission denied`),
      });
      await pool.query(`CREATE SCHEMA "${schema}" AUTHORIZATION ${role}`);
      const result = await migrate(limited, { schema });
      expect(result.applied).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await limited.end();
      await dropSchema(pool, schema);
      await pool.query(`DROP ROLE ${role}`);
    }
  });

  it('a login the server refuses is UNAUTHENTICATED, naming what was being done', async () => {
    const url = new URL(server.connectionString);
    url.username = 'sp_no_such_role';
    const refused = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      await expect(migrate(refused, { schema: uniqueSchema() })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        retryable: false,
        message: expect.stringMatching(/connecting to migrate schema .*sp_no_such_role/),
      });
    } finally {
      await refused.end();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(migrate(pool, { schema: 'x"; DROP TABLE y; --' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
