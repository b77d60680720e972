import { COMMAND_OPTIONS_VARIABLE, ScanplaneError } from '@scanplane/core';
import { sampleScanTask } from '@scanplane/core/testing';
import { describe, expect, it } from 'vitest';
import {
  buildTaskOverrides,
  clientTokenFor,
  OVERRIDES_LIMIT,
  overridesSize,
  TAGS,
  TASK_ID_VARIABLE,
  tagsFor,
} from './run-task-input.js';

const env = (overrides: ReturnType<typeof buildTaskOverrides>) =>
  Object.fromEntries(
    (overrides.containerOverrides?.[0]?.environment ?? []).map((pair) => [pair.name, pair.value]),
  );

describe('buildTaskOverrides', () => {
  it('carries the command options in one variable, and the task id, cpu and memory', () => {
    const task = sampleScanTask({ kind: 'portscan', payload: { arguments: { ports: '22' } } });
    const overrides = buildTaskOverrides(task, {
      containerName: 'worker',
      payloadMode: 'inline',
      environment: { STAGE: 'test' },
      resources: { cpu: 512, memoryMiB: 1024 },
    });
    const values = env(overrides);
    expect(JSON.parse(values[COMMAND_OPTIONS_VARIABLE] as string)).toMatchObject({
      taskId: task.id,
      kind: 'portscan',
      arguments: { ports: '22' },
    });
    expect(values[TASK_ID_VARIABLE]).toBe(task.id);
    expect(values['STAGE']).toBe('test');
    expect(overrides.cpu).toBe('512');
    expect(overrides.memory).toBe('1024');
    expect(overrides.containerOverrides?.[0]?.name).toBe('worker');
  });

  it('refuses overrides over 8,192 characters with LAUNCH_PAYLOAD_TOO_LARGE', () => {
    const task = sampleScanTask({ payload: { arguments: { hosts: 'x'.repeat(OVERRIDES_LIMIT) } } });
    let caught: unknown;
    try {
      buildTaskOverrides(task, { containerName: 'worker', payloadMode: 'inline', environment: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScanplaneError);
    expect((caught as ScanplaneError).code).toBe('LAUNCH_FAILED');
    expect((caught as ScanplaneError).retryable).toBe(false);
    expect((caught as ScanplaneError).details['reason']).toBe('LAUNCH_PAYLOAD_TOO_LARGE');
  });

  it('sends only the task id in reference mode, whatever the payload size', () => {
    const task = sampleScanTask({ payload: { arguments: { hosts: 'x'.repeat(OVERRIDES_LIMIT) } } });
    const overrides = buildTaskOverrides(task, {
      containerName: 'worker',
      payloadMode: 'reference',
      environment: {},
    });
    expect(env(overrides)).toEqual({ [TASK_ID_VARIABLE]: task.id });
    expect(overridesSize(overrides)).toBeLessThan(OVERRIDES_LIMIT);
  });
});

describe('tagsFor', () => {
  it('names the task, attempt, scan and organizations', () => {
    const task = sampleScanTask({ scanId: 'scan-1', organizationIds: ['o1', 'o2'] });
    const tags = Object.fromEntries(tagsFor(task, { team: 'red' }).map((tag) => [tag.key, tag.value]));
    expect(tags).toMatchObject({
      [TAGS.taskId]: task.id,
      [TAGS.attempt]: String(task.attempt),
      [TAGS.scanId]: 'scan-1',
      [TAGS.organizations]: 'o1 o2',
      team: 'red',
    });
  });
});

describe('clientTokenFor', () => {
  it('is the task id and attempt, stable for a retried call and new for the next attempt', () => {
    expect(clientTokenFor({ id: 't1', attempt: 1 })).toBe('t1-1');
    expect(clientTokenFor({ id: 't1', attempt: 1 })).toBe(clientTokenFor({ id: 't1', attempt: 1 }));
    expect(clientTokenFor({ id: 't1', attempt: 2 })).not.toBe(clientTokenFor({ id: 't1', attempt: 1 }));
  });

  it('hashes ids too long for 64 characters', () => {
    const token = clientTokenFor({ id: 'x'.repeat(100), attempt: 1 });
    expect(token).toHaveLength(64);
    expect(token).not.toBe(clientTokenFor({ id: 'x'.repeat(100), attempt: 2 }));
  });
});
