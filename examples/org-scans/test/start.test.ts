// `pnpm --filter @scanplane/example-org-scans start --once` as a user runs it (a child process), on the test's
// engine (DOCKER_HOST) and a schema of its own: it seeds, ticks, waits for every container and checks the result.
import { execFile as execFileCallback } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPostgresStore } from '@scanplane/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestDocker, type TestDocker } from './support/org-scans-harness.js';

const execFile = promisify(execFileCallback);
const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const schema = `org_scans_start_${process.pid}_${randomBytes(4).toString('hex')}`;
let docker: TestDocker;

beforeAll(async () => {
  docker = await startTestDocker();
}, 180_000);

afterAll(async () => {
  const store = await createPostgresStore({ connectionString: DATABASE_URL, schema, migrate: false });
  try {
    await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await store.close();
  }
  await docker?.engine.stop();
});

describe('the start command', () => {
  it('seeds, runs one round in containers, prints what happened and exits 0 with --once', async () => {
    const run = execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', '--once'], {
      cwd: exampleDir,
      env: {
        ...process.env,
        DOCKER_HOST: docker.engine.host,
        DATABASE_URL,
        ORG_SCANS_SCHEMA: schema,
        ORG_SCANS_BASE_IMAGE: docker.engine.image,
        ORG_SCANS_IMAGE: docker.image,
        ORG_SCANS_OWNER: `org-scans-start-${process.pid}`,
      },
      timeout: 100_000,
    });
    const { stdout } = await run.catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`${error.message}\n--- stdout\n${error.stdout}\n--- stderr\n${error.stderr}`);
    });
    expect(stdout).toContain(`Docker Engine: ${docker.engine.host} (DOCKER_HOST)`);
    expect(stdout).toContain(`image: ${docker.image} is up to date`);
    expect(stdout).toContain('Seeded 5 organizations and 3 scans');
    expect(stdout).toMatch(/portscan\s+initech\s+passive-organization/);
    expect(stdout).toMatch(/portscan\s+hooli\s+not-selected/);
    expect(stdout).toMatch(/initech\s+passive\s+\d+\s+0\s+not scanned/);
    expect(stdout).toContain('First round: OK');
    expect(stdout).not.toContain('PROBLEM');
    // Six tasks, each its own container, all finished.
    const rows = stdout.split('\n').filter((line) => /\sorgscans_\S+-1\s/.test(line));
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row).toMatch(/finished$/);
  });
});
