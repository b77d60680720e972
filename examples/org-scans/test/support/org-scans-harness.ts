// The org-scans tests' real parts: the Docker Engine of the @scanplane/docker test harness (DOCKER_HOST, else a
// throwaway dockerd with --bridge=none --iptables=false --ip-forward=false) with the org-scans worker image built on
// it, and PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) in a schema of each test's
// own, dropped at the end. Containers run with network `host` so the workers reach the test's 127.0.0.1 listeners.
import { randomBytes } from 'node:crypto';
import { LABELS } from '@scanplane/docker';
import {
  startTestEngine,
  type TestEngine,
  uniqueOwner,
} from '../../../../packages/adapters-docker/test/support/docker-engine.js';
import { createDeployment, type Deployment } from '../../src/deployment.js';
import { buildWorkerImage } from '../../src/image/worker-image.js';
import { createOrgScansDockerLauncher } from '../../src/launcher/docker-launcher.js';

/** PostgreSQL for the tests. */
export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The engine and the org-scans image on it. */
export interface TestDocker {
  engine: TestEngine;
  image: string;
}

/** Starts the engine and builds the org-scans worker image on it (kept when current). */
export async function startTestDocker(): Promise<TestDocker> {
  const engine = await startTestEngine();
  try {
    const image = await buildWorkerImage({
      dockerHost: engine.host,
      baseImage: engine.image,
      tag: 'scanplane-org-scans-worker:test',
    });
    return { engine, image };
  } catch (error) {
    await engine.stop();
    throw error;
  }
}

/** A deployment on its own schema and container owner, with how to get rid of it. */
export interface TestDeployment {
  deployment: Deployment;
  schema: string;
  owner: string;
  operatorToken: string;
  /** Stops it, removes its containers, drops its schema, closes the store. */
  dispose(): Promise<void>;
}

/** A deployment of the example on the test engine and a fresh schema. */
export async function createTestDeployment(docker: TestDocker): Promise<TestDeployment> {
  const schema = `org_scans_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const owner = uniqueOwner('org-scans');
  const operatorToken = randomBytes(24).toString('base64url');
  let deployment: Deployment;
  try {
    deployment = await createDeployment({
      databaseUrl: DATABASE_URL,
      schema,
      operatorToken,
      maxConcurrency: 8,
      organizationsPerTask: 2,
      launcher: (store) =>
        createOrgScansDockerLauncher({
          socketPath: docker.engine.socketPath,
          image: docker.image,
          network: 'host',
          owner,
          allow: ['127.0.0.1'],
          store,
          stopGraceMs: 3000,
        }),
    });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nThe org-scans tests need PostgreSQL at ${DATABASE_URL}: start it ` +
        '(pg_ctlcluster 15 main start, or apt-get install -y postgresql) or set DATABASE_URL.',
      { cause: error },
    );
  }
  return {
    deployment,
    schema,
    owner,
    operatorToken,
    async dispose() {
      await deployment.stop();
      const mine = await docker.engine.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.owner}=${owner}`] },
      });
      await Promise.all(
        mine.map((container) =>
          docker.engine.docker
            .getContainer(container.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
      await deployment.store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await deployment.close();
    },
  };
}
