// The core launcher conformance suite, against the local ECS endpoint through the real AWS SDK.
import { runLauncherConformance, sampleScanTask } from '@scanplane/core/testing';
import { setUp } from './support/launcher-setup.js';

runLauncherConformance({
  name: 'fargate',
  create: async () => {
    const setup = await setUp();
    return { launcher: setup.launcher, cleanup: () => setup.close() };
  },
  // The command options carry `arguments.behaviour`; the endpoint's simulated worker honours it.
  task: (behaviour) =>
    sampleScanTask({ kind: 'diagnostic', payload: { behaviour, arguments: { behaviour } } }),
  timeoutMs: 30_000,
});
