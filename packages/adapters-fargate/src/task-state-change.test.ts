import { describe, expect, it } from 'vitest';
import { parseTaskStateChange, stoppedEvent } from './task-state-change.js';

const arn = 'arn:aws:ecs:us-east-1:111122223333:task/scans/0b69d5c0d7a74b4a9b2f6a1e7c0f1a2b';
const base = { taskArn: arn, containerName: 'worker', stoppedAt: '2026-01-01T00:00:05.000Z', version: 5 };

describe('stoppedEvent', () => {
  it('exit 0 of the essential container is finished, with the version', () => {
    const event = stoppedEvent({
      ...base,
      stopCode: 'EssentialContainerExited',
      containers: [
        { name: 'sidecar', exitCode: 1 },
        { name: 'worker', exitCode: 0 },
      ],
    });
    expect(event).toMatchObject({ type: 'finished', version: 5, at: Date.parse(base.stoppedAt) });
  });

  it('another exit code fails; 75 is retryable', () => {
    const failed = stoppedEvent({
      ...base,
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'worker', exitCode: 2 }],
    });
    expect(failed.error).toMatchObject({ code: 'TASK_FAILED', retryable: false, details: { exitCode: 2 } });
    const retry = stoppedEvent({
      ...base,
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'worker', exitCode: 75 }],
    });
    expect(retry.error?.retryable).toBe(true);
  });

  it('a stop the launcher asked for is CANCELLED, unless the task had already exited by itself', () => {
    const cancelled = stoppedEvent({
      ...base,
      stopCode: 'UserInitiated',
      containers: [{ name: 'worker', exitCode: 143 }],
      stopRequested: 'operator',
    });
    expect(cancelled.error).toMatchObject({ code: 'CANCELLED', message: 'operator' });
    const exited = stoppedEvent({
      ...base,
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'worker', exitCode: 0 }],
      stopRequested: 'operator',
    });
    expect(exited.type).toBe('finished');
  });

  it('SpotInterruption and a start failure for capacity are retryable; another start failure is not', () => {
    expect(stoppedEvent({ ...base, stopCode: 'SpotInterruption', containers: [] }).error?.retryable).toBe(
      true,
    );
    const capacity = stoppedEvent({
      ...base,
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'Capacity is unavailable at this time',
      containers: [],
    });
    expect(capacity.error).toMatchObject({ code: 'LAUNCH_FAILED', retryable: true });
    const image = stoppedEvent({
      ...base,
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
      containers: [],
    });
    expect(image.error).toMatchObject({ code: 'LAUNCH_FAILED', retryable: false });
  });
});

describe('parseTaskStateChange', () => {
  const event = {
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '111122223333',
    time: '2020-01-23T17:57:58Z',
    region: 'us-west-2',
    resources: [arn],
    detail: { taskArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: 3 },
  };

  it('reads the event object and an SQS body', () => {
    expect(parseTaskStateChange(event)?.detail.version).toBe(3);
    expect(parseTaskStateChange(JSON.stringify(event))?.detail.taskArn).toBe(arn);
  });

  it('refuses other events and text that is not JSON', () => {
    expect(
      parseTaskStateChange({ ...event, 'detail-type': 'ECS Container Instance State Change' }),
    ).toBeUndefined();
    expect(parseTaskStateChange('not json')).toBeUndefined();
    expect(parseTaskStateChange({ ...event, detail: { lastStatus: 'RUNNING' } })).toBeUndefined();
  });
});
