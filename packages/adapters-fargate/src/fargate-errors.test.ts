import { describe, expect, it } from 'vitest';
import {
  failureTaskError,
  fargateErrorReason,
  isRetryableFailureReason,
  isThrottling,
  isTransient,
} from './fargate-errors.js';

describe('isRetryableFailureReason', () => {
  it('retries capacity, resources and the agent; not MISSING, ATTRIBUTE or the unknown', () => {
    for (const reason of [
      'Capacity is unavailable at this time. Please try again later or in a different availability zone',
      'RESOURCE:CPU',
      'RESOURCE:MEMORY',
      'RESOURCE:ENI',
      'AGENT',
    ])
      expect(isRetryableFailureReason(reason), reason).toBe(true);
    for (const reason of ['MISSING', 'ATTRIBUTE', 'INACTIVE', 'something new', undefined])
      expect(isRetryableFailureReason(reason), String(reason)).toBe(false);
  });

  it('maps a failure to LAUNCH_FAILED with the ECS reason in details', () => {
    const error = failureTaskError('t1', { arn: 'arn:x', reason: 'RESOURCE:ENI', detail: 'no ENI' }, 'scans');
    expect(error).toMatchObject({
      code: 'LAUNCH_FAILED',
      retryable: true,
      details: { ecsReason: 'RESOURCE:ENI' },
    });
    expect(fargateErrorReason(error)).toBe('capacity-unavailable');
    expect(error.message).toContain('scans');
  });
});

describe('SDK error classification', () => {
  it('treats throttling, server errors and lost connections as transient, client errors as final', () => {
    const named = (name: string, status?: number) =>
      Object.assign(new Error(name), {
        name,
        $metadata: status === undefined ? {} : { httpStatusCode: status },
      });
    expect(isThrottling(named('ThrottlingException', 400))).toBe(true);
    expect(isTransient(named('ServerException', 500))).toBe(true);
    expect(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(named('InvalidParameterException', 400))).toBe(false);
    expect(isTransient(named('AccessDeniedException', 400))).toBe(false);
  });
});
