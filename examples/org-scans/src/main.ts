// `pnpm --filter @scanplane/example-org-scans start [--once]`: CISA Crossfeed's deployment on scanplane, on this
// machine. It needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; its own schema,
// ORG_SCANS_SCHEMA, default org_scans) and, for the default Docker launcher, dockerd (apt-get install -y docker.io;
// as root it starts a throwaway one, or set DOCKER_HOST).
//
// 1. starts (or finds) the Docker Engine and builds the org-scans worker image;
// 2. builds the deployment: PostgreSQL store and advisory lock, Docker launcher, orchestrator, scheduler, HTTP API
//    and dashboard;
// 3. seeds five organizations scoped to 127.0.0.1 (each with listeners this process opens there) and three scans,
//    and asks for a manual run of each;
// 4. runs one scheduler tick, waits until every container has ended, prints what happened and checks it;
// 5. with --once, exits (0 if every check passed); otherwise serves the API and the dashboard and keeps ticking
//    every ORG_SCANS_TICK_SECONDS until SIGINT or SIGTERM.
import { randomBytes } from 'node:crypto';
import { isScanplaneError } from '@scanplane/core';
import { readDeploymentConfig } from './config/deployment-config.js';
import { runFirstRound } from './demo/first-round.js';
import { type SeededDemo, seedDemo } from './demo/seed.js';
import { createDeployment, type Deployment } from './deployment.js';
import { type LauncherSetup, launcherSetup } from './launcher/launcher-setup.js';

const once = process.argv.includes('--once');
/** Longest wait for everything to close before the process leaves. */
const CLOSE_LIMIT_MS = 45_000;
const print = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const config = readDeploymentConfig(process.env);
  const operatorToken = config.operatorToken ?? randomBytes(24).toString('base64url');
  print('scanplane org-scans: CISA Crossfeed’s deployment on scanplane\n');

  let setup: LauncherSetup | undefined;
  let deployment: Deployment | undefined;
  let demo: SeededDemo | undefined;
  const feeding = new AbortController();
  try {
    setup = await launcherSetup(config, process.env, print);
    deployment = await createDeployment({
      databaseUrl: config.databaseUrl,
      schema: config.schema,
      launcher: setup.make,
      operatorToken,
      tickSeconds: config.tickSeconds,
      maxConcurrency: config.maxConcurrency,
      organizationsPerTask: config.organizationsPerTask,
    });
    print(`Workers: ${setup.description}`);
    print(`Store: PostgreSQL, schema ${config.schema}; scheduler lock: advisory lock on it`);
    setup.feed(deployment.launcher, feeding.signal, (error) => print(`ECS events: ${error.message}`));
    // Before any launch: the orchestrator applies the launcher's events (a container's start and end).
    deployment.orchestrator.start();

    let ok = true;
    if (setup.reachesLoopback) {
      demo = await seedDemo(deployment.store, Date.now());
      print(
        `Seeded ${demo.listeners.size} organizations and ${demo.scans.length} scans (manual run requested)\n`,
      );
      const { problems } = await runFirstRound(deployment, demo, { print });
      print('');
      if (problems.length > 0) {
        ok = false;
        for (const problem of problems) print(`PROBLEM: ${problem}`);
      } else
        print('First round: OK (every task finished; the passive and unselected organizations untouched)');
    } else {
      print('The workers cannot reach this machine’s 127.0.0.1: no demo organizations are seeded.');
    }
    if (once) return ok ? 0 : 1;

    const url = await deployment.listen(config.host, config.port);
    deployment.start(); // the orchestrator runs already; the scheduler ticks now, then every tickSeconds
    print('');
    print(`API and dashboard: ${url}/  (every ${config.tickSeconds} s a scheduler tick)`);
    print(
      `Operator token: ${operatorToken}${config.operatorToken === undefined ? ' (generated; set ORG_SCANS_TOKEN)' : ''}`,
    );
    print(`  curl -H 'Authorization: Bearer ${operatorToken}' ${url}/scan-tasks?scanId=portscan`);
    print(`  curl -X POST -H 'Authorization: Bearer ${operatorToken}' ${url}/scheduler/invoke`);
    print('Ctrl-C stops it.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    return ok ? 0 : 1;
  } finally {
    feeding.abort();
    const closing = (async () => {
      await deployment?.close().catch((error: Error) => print(`closing: ${error.message}`));
      await demo?.close();
      await setup?.close().catch((error: Error) => print(`stopping the engine: ${error.message}`));
    })();
    // Bounded: a component that does not close in time must not keep the process (and its caller) waiting.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        print(`closing took over ${CLOSE_LIMIT_MS / 1000} s: leaving anyway`);
        resolve();
      }, CLOSE_LIMIT_MS);
    });
    await Promise.race([closing, late]);
    clearTimeout(timer);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = isScanplaneError(error) ? `${error.code}: ${error.message}` : String(error);
    process.stderr.write(`org-scans: ${message}\n`);
    process.exit(1);
  },
);
