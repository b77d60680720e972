// The Tasker service in one command: `pnpm --filter @scanplane/example-tasker-service start`
// (= `node --import tsx src/main.ts`), configured by environment variables (config.ts: DATABASE_URL, AMQP_URL, PORT,
// WORKERS, ADMIN_TOKEN, TLS_CERT, TLS_KEY, …).
//
// It migrates PostgreSQL (the scanplane store's schema and the service's own), connects to RabbitMQ, starts the
// orchestrator, forks the worker processes, listens, and prints the URL, the admin token if it generated one, and a
// fresh token for the demo project. SIGTERM or SIGINT stops it all gracefully (a second one exits at once).
import { randomBytes } from 'node:crypto';
import { isScanplaneError } from '@scanplane/core';
import { readServiceConfig, type ServiceConfig } from './config.js';
import { startTaskerService, type TaskerService } from './service.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const complain = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<number> {
  let config: ServiceConfig;
  try {
    config = readServiceConfig(process.env, () => `adm_${randomBytes(24).toString('base64url')}`);
  } catch (error) {
    const problems = isScanplaneError(error)
      ? ((error.details['problems'] as string[] | undefined) ?? [])
      : [];
    complain('tasker-service: invalid configuration, not starting:');
    for (const problem of problems.length > 0 ? problems : [(error as Error).message])
      complain(`  ${problem}`);
    return 2;
  }

  let service: TaskerService | undefined;
  let stopping = false;
  let stopped: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      complain(`tasker-service: ${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    say(`tasker-service: ${signal}: stopping (workers finish or hand back their tasks)`);
    stopped();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    say(
      `tasker-service: starting ${config.service.workers} worker(s) (${config.service.kinds?.join(', ')}), ` +
        `store schema ${config.service.storeSchema}, queue prefix ${config.service.queuePrefix}`,
    );
    service = await startTaskerService(config.service);
    const url = await service.listen({ port: config.port, host: config.host });
    say(`tasker-service: listening on ${url}`);
    say(`  API docs:  ${url}/docs`);
    if (config.service.dashboard !== false) say(`  dashboard: ${url}/`);
    if (config.adminTokenGenerated)
      say(
        `  admin token (generated for this run; set ADMIN_TOKEN to keep one): ${config.service.adminToken}`,
      );
    if (config.demoProject !== undefined) {
      const { token } = await service.tokens.createToken(config.demoProject);
      say(`  project ${config.demoProject}, token: ${token}`);
      say(
        `  try: curl -s -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' ` +
          `-d '{"targets":["127.0.0.1"],"ports":"22,80,443"}' ${url}/tasks/${config.demoProject}/run`,
      );
    }
  } catch (error) {
    complain(`tasker-service: could not start: ${(error as Error).message}`);
    complain(
      '  Is PostgreSQL reachable at DATABASE_URL and RabbitMQ at AMQP_URL? (defaults: 127.0.0.1:5432, 127.0.0.1:5672)',
    );
    await service?.close().catch(() => undefined);
    return 1;
  }
  await stopSignal;
  await service.close();
  say('tasker-service: stopped');
  return 0;
}

const code = await main();
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
