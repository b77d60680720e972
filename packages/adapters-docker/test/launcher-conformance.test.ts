// The core launcher conformance suite, against a real Docker Engine (DOCKER_HOST, or a throwaway dockerd).
import { runLauncherConformance, sampleScanTask } from '@scanplane/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { createDockerLauncher } from '../src/index.js';
import { startTestEngine, type TestEngine, uniqueOwner } from './support/docker-engine.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
}, 180_000);

afterAll(async () => {
  await engine?.stop();
});

runLauncherConformance({
  name: 'docker',
  create: async () => ({
    launcher: createDockerLauncher({
      socketPath: engine.socketPath,
      image: engine.image,
      owner: uniqueOwner('conformance'),
      network: 'none',
      resources: { memoryMiB: 256 },
      cleanup: { keep: 0 },
    }),
  }),
  // The worker image's `diagnostic` kind honours the suite's behaviours (arguments reach the worker; the suite reads
  // payload.behaviour for its messages).
  task: (behaviour) =>
    sampleScanTask({ kind: 'diagnostic', payload: { behaviour, arguments: { behaviour } } }),
  timeoutMs: 120_000,
});
