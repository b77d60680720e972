import { runScheduleStoreConformance } from '@scanplane/core/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createPostgresScheduleStore, createPostgresTaskStore, migrate } from '../src/index.js';
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

runScheduleStoreConformance({
  name: 'postgres',
  create: async () => {
    const schema = uniqueSchema();
    await migrate(pool, { schema });
    return {
      store: {
        ...createPostgresTaskStore({ pool, schema }),
        ...createPostgresScheduleStore({ pool, schema }),
      },
      cleanup: () => dropSchema(pool, schema),
    };
  },
});
