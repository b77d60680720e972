import { describe, expect, it } from 'vitest';
import type { CommandOptions } from './entrypoint.js';
import { RunContext } from './run-context.js';
import { runForOrganizations } from './run-for-organizations.js';

const options: CommandOptions = {
  taskId: 't',
  kind: 'portscan',
  organizations: [
    { id: 'a', name: 'A' },
    { id: 'b', name: 'B' },
    { id: 'c', name: 'C' },
  ],
};

describe('runForOrganizations', () => {
  it('fails only the organization that failed; the others run, in order, and the result says who did what', async () => {
    const seen: string[] = [];
    const logs: string[] = [];
    const result = await runForOrganizations(
      options,
      new RunContext((line) => logs.push(line)),
      async (run) => {
        seen.push(run.organizationId);
        if (run.organizationId === 'b') throw new Error('b is down');
        return { name: run.organizationName };
      },
    );
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(result.organizations).toEqual({
      a: { status: 'finished', result: { name: 'A' } },
      b: { status: 'failed', error: expect.objectContaining({ code: 'TASK_FAILED', message: 'b is down' }) },
      c: { status: 'finished', result: { name: 'C' } },
    });
    expect(logs).toEqual([expect.stringContaining('organization b failed')]);
  });

  it('fails the task when every organization failed, with each one’s error', async () => {
    await expect(
      runForOrganizations(options, new RunContext(() => {}), async () => {
        throw new Error('nope');
      }),
    ).rejects.toMatchObject({
      code: 'TASK_FAILED',
      message: expect.stringContaining('all 3 organizations failed'),
    });
  });

  it('stops at an abort and says how far it got', async () => {
    const context = new RunContext(() => {});
    const seen: string[] = [];
    await expect(
      runForOrganizations(options, context, async (run) => {
        seen.push(run.organizationId);
        if (run.organizationId === 'a') context.abort(new Error('stop'));
      }),
    ).rejects.toMatchObject({
      code: 'ABORTED',
      message: expect.stringContaining('aborted after 1 of 3 organizations'),
    });
    expect(seen).toEqual(['a']);
  });

  it('does nothing, successfully, for a task without organizations', async () => {
    expect(
      await runForOrganizations({ taskId: 't', kind: 'x' }, new RunContext(() => {}), async () => 1),
    ).toEqual({
      organizations: {},
    });
  });
});
