// Wires a Fargate launcher to a local ECS endpoint: the real AWS SDK over HTTP, the endpoint's EventBridge events fed
// to the launcher's handler (as a Lambda on the rule would).
import { createFargateLauncher, type FargateLauncher, type FargateLauncherOptions } from '../../src/index.js';
import { type LocalEcs, type LocalEcsOptions, startLocalEcs } from './local-ecs.js';

export const LOG_GROUP = { name: '/scanplane/test', streamPrefix: 'scan' };

export interface Setup {
  ecs: LocalEcs;
  launcher: FargateLauncher;
  close(): Promise<void>;
}

export async function setUp(
  ecsOptions: LocalEcsOptions = {},
  launcherOptions: Partial<FargateLauncherOptions> = {},
  wireEvents = true,
): Promise<Setup> {
  const ecs = await startLocalEcs({ logGroup: LOG_GROUP, ...ecsOptions });
  const launcher = createFargateLauncher({
    ecsConfig: ecs.clientConfig,
    logsConfig: ecs.clientConfig,
    cluster: 'scans',
    taskDefinition: 'scanplane-worker:1',
    containerName: 'worker',
    subnets: ['subnet-0a1b2c3d'],
    securityGroups: ['sg-0a1b2c3d'],
    logGroup: LOG_GROUP,
    retryBaseMs: 5,
    retryMaxMs: 50,
    ...launcherOptions,
  });
  const off = wireEvents ? ecs.onEvent((event) => launcher.handleEvent(event)) : () => undefined;
  return {
    ecs,
    launcher,
    async close() {
      off();
      await launcher.close();
      await ecs.close();
    },
  };
}
