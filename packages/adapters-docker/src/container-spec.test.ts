import { sampleScanTask } from '@scanplane/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type ContainerSpecOptions,
  containerSpecFor,
  MAX_COMMAND_OPTIONS_BYTES,
  resourcesFor,
} from './container-spec.js';
import { dockerErrorReason } from './docker-errors.js';

const options: ContainerSpecOptions = {
  image: 'scanplane-worker:dev',
  owner: 'prod',
  network: 'host',
  resources: { memoryMiB: 512, cpu: 2048 },
  env: { LOG_LEVEL: 'debug' },
  passEnv: ['HTTPS_PROXY', 'NOT_SET'],
  labels: { team: 'recon' },
  stopGraceMs: 10_000,
  hostEnv: { HTTPS_PROXY: 'http://proxy:3128', DB_PASSWORD: 'secret' },
};

describe('containerSpecFor', () => {
  it('takes limits from the scan definition over the defaults, and sets init, network and no swap', () => {
    const task = sampleScanTask({ payload: { resources: { memory: 128 } } });
    expect(resourcesFor(task, options.resources)).toEqual({ memoryMiB: 128, cpu: 2048 });
    const spec = containerSpecFor(task, 'n', options);
    expect(spec.HostConfig).toMatchObject({
      Init: true,
      NetworkMode: 'host',
      Memory: 128 * 1048576,
      MemorySwap: 128 * 1048576,
      NanoCpus: 2_000_000_000,
      PidsLimit: 512,
      AutoRemove: false,
    });
    expect(spec.StopTimeout).toBe(10);
    expect(spec.Tty).toBe(false);
  });

  it('passes only the named environment, never "undefined", and the command options in one variable', () => {
    const task = sampleScanTask({ kind: 'tcp-connect' });
    const env = containerSpecFor(task, 'n', options).Env as string[];
    expect(env).toContain('HTTPS_PROXY=http://proxy:3128');
    expect(env).toContain('LOG_LEVEL=debug');
    expect(env).toContain('NODE_OPTIONS=--max-old-space-size=384');
    expect(env.some((entry) => entry.startsWith('DB_PASSWORD') || entry.includes('undefined'))).toBe(false);
    const json = env.find((entry) => entry.startsWith('SCANPLANE_COMMAND_OPTIONS='))?.slice(26);
    expect(JSON.parse(json as string)).toMatchObject({ taskId: task.id, kind: 'tcp-connect' });
  });

  it('refuses command options too large for one environment variable', () => {
    const task = sampleScanTask({ payload: { arguments: { blob: 'x'.repeat(MAX_COMMAND_OPTIONS_BYTES) } } });
    let caught: unknown;
    try {
      containerSpecFor(task, 'n', options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'LAUNCH_FAILED', retryable: false });
    expect(dockerErrorReason(caught)).toBe('payload-too-large');
  });
});
