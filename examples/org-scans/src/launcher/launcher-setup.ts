import { ScanplaneError, type TaskLauncher } from '@scanplane/core';
import type { FargateLauncher } from '@scanplane/fargate';
import type { PostgresStore } from '@scanplane/postgres';
import type { DeploymentConfig } from '../config/deployment-config.js';
import type { Env } from '../config/env-reader.js';
import { startDockerEngine } from '../engine/docker-engine.js';
import { buildWorkerImage } from '../image/worker-image.js';
import { createOrgScansDockerLauncher } from './docker-launcher.js';
import {
  type EcsEventQueue,
  pumpEcsEvents,
  type SqsClientLike,
  type SqsCommandClass,
  sqsEventQueue,
} from './ecs-event-pump.js';
import { fargateLauncherFromEnv } from './fargate-launcher.js';

/**
 * Where the workers run, ready to hand to `createDeployment`.
 *
 * @example
 * ```ts
 * import type { LauncherSetup } from './launcher-setup.js';
 * const where = (setup: LauncherSetup) => setup.description;
 * ```
 */
export interface LauncherSetup {
  /** Makes the launcher on the deployment's store. */
  make(store: PostgresStore): TaskLauncher;
  /** One line for the operator. */
  description: string;
  /** Whether the workers reach this machine's 127.0.0.1 (Docker with network `host`; never Fargate). */
  reachesLoopback: boolean;
  /** Starts what feeds the launcher its events (Fargate: the SQS pump), until the signal aborts. */
  feed(launcher: TaskLauncher, signal: AbortSignal, onError: (error: Error) => void): void;
  /** Stops what the setup started (a throwaway dockerd). */
  close(): Promise<void>;
}

/** The SQS client package, loaded only in Fargate mode with `ECS_EVENTS_QUEUE_URL` (not a dependency here). */
const SQS_MODULE: string = '@aws-sdk/client-sqs';

async function sqsQueue(queueUrl: string): Promise<EcsEventQueue> {
  let sqs: {
    SQSClient: new (config: Record<string, unknown>) => SqsClientLike;
    ReceiveMessageCommand: SqsCommandClass;
    DeleteMessageCommand: SqsCommandClass;
  };
  try {
    sqs = await import(SQS_MODULE);
  } catch (error) {
    throw new ScanplaneError(
      'UNAVAILABLE',
      `ECS_EVENTS_QUEUE_URL is set but ${SQS_MODULE} is not installed: pnpm --filter @scanplane/example-org-scans add ${SQS_MODULE}`,
      { cause: error, details: { where: 'ECS_EVENTS_QUEUE_URL' } },
    );
  }
  return sqsEventQueue({
    client: new sqs.SQSClient({}),
    queueUrl,
    ReceiveMessageCommand: sqs.ReceiveMessageCommand,
    DeleteMessageCommand: sqs.DeleteMessageCommand,
  });
}

/**
 * The launcher the configuration asks for (`SCANPLANE_LAUNCHER`):
 * - `docker` (default): the engine `DOCKER_HOST` names, else a throwaway `dockerd` of its own; the org-scans worker
 *   image built on it (from the `@scanplane/docker` image, itself built if missing); containers on network `host`
 *   (`ORG_SCANS_NETWORK`) so the workers reach 127.0.0.1.
 * - `fargate`: `createFargateLauncher` from the `FARGATE_*` variables; ECS task state changes read from the SQS
 *   queue `ECS_EVENTS_QUEUE_URL` (EventBridge rule → SQS) and given to `handleEvent`, with DescribeTasks
 *   reconciliation as the backstop.
 *
 * @throws {@link ScanplaneError} `UNAVAILABLE` (no engine, image build failed, no SQS client), `INVALID_ARGUMENT`
 *   naming a bad variable.
 * @example
 * ```ts
 * import { readDeploymentConfig } from '../config/deployment-config.js';
 * import { launcherSetup } from './launcher-setup.js';
 * const setup = await launcherSetup(readDeploymentConfig(process.env), process.env, console.log);
 * ```
 */
export async function launcherSetup(
  config: DeploymentConfig,
  env: Env,
  log: (line: string) => void,
): Promise<LauncherSetup> {
  if (config.launcher === 'fargate') {
    // Checked now, so a bad variable is reported before anything starts.
    fargateLauncherFromEnv(env, config.allow);
    const queueUrl = env['ECS_EVENTS_QUEUE_URL'];
    const queue = queueUrl === undefined || queueUrl === '' ? undefined : await sqsQueue(queueUrl);
    return {
      make: (store) => fargateLauncherFromEnv(env, config.allow, store),
      description: `Fargate (cluster ${env['FARGATE_CLUSTER_NAME']}, task definition ${env['FARGATE_TASK_DEFINITION_NAME']})`,
      reachesLoopback: false,
      feed(launcher, signal, onError) {
        if (queue === undefined) {
          log('ECS_EVENTS_QUEUE_URL is not set: task states come from reconciliation (DescribeTasks) only');
          return;
        }
        void pumpEcsEvents({ queue, launcher: launcher as FargateLauncher, signal, onError });
      },
      close: async () => undefined,
    };
  }

  const configured = env['DOCKER_HOST'];
  let engine: { host: string; socketPath: string; baseImage: string; stop(): Promise<void> };
  if (configured !== undefined && configured !== '') {
    if (!configured.startsWith('unix://')) {
      throw new ScanplaneError('INVALID_ARGUMENT', `DOCKER_HOST: '${configured}' is not a unix:// socket`, {
        details: { where: 'DOCKER_HOST' },
      });
    }
    engine = {
      host: configured,
      socketPath: configured.slice('unix://'.length),
      baseImage: config.docker.baseImage,
      stop: async () => undefined,
    };
    log(`Docker Engine: ${configured} (DOCKER_HOST)`);
  } else {
    log('Docker Engine: starting a throwaway dockerd (--bridge=none --iptables=false --ip-forward=false)');
    engine = await startDockerEngine();
    log(`Docker Engine: ${engine.host}`);
  }
  try {
    const image = await buildWorkerImage({
      dockerHost: engine.host,
      baseImage: engine.baseImage,
      tag: config.docker.image,
      log: (line) => log(`image: ${line}`),
    });
    return {
      make: (store) =>
        createOrgScansDockerLauncher({
          socketPath: engine.socketPath,
          image,
          network: config.docker.network,
          owner: config.docker.owner,
          allow: config.allow,
          store,
        }),
      description: `Docker (${engine.host}, image ${image}, network ${config.docker.network})`,
      reachesLoopback: config.docker.network === 'host',
      feed: () => undefined,
      close: () => engine.stop(),
    };
  } catch (error) {
    await engine.stop();
    throw error;
  }
}
