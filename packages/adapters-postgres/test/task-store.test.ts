import { runTaskStoreConformance } from '@scanplane/core/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createPostgresTaskStore, migrate } from '../src/index.js';
import { dropSchema, startTestServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startTestServer();
  pool = new pg.Pool({ connectionString: server.connectionString, max: 30 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

const subject = async (maxPayloadBytes?: number) => {
  const schema = uniqueSchema();
  await migrate(pool, { schema });
  return {
    store: createPostgresTaskStore({
      pool,
      schema,
      ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
    }),
    cleanup: () => dropSchema(pool, schema),
  };
};

runTaskStoreConformance({ name: 'postgres', create: () => subject() });
runTaskStoreConformance({
  name: 'postgres, 64 KiB payloads',
  create: () => subject(65_536),
  oversizedBytes: 70_000,
});
