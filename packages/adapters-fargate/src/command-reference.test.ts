import { COMMAND_OPTIONS_VARIABLE, createMemoryStore } from '@scanplane/core';
import { describe, expect, it } from 'vitest';
import { readCommandOptions } from './command-reference.js';
import { TASK_ID_VARIABLE } from './run-task-input.js';

describe('readCommandOptions', () => {
  it('prefers the inline command options', async () => {
    const options = await readCommandOptions({
      store: createMemoryStore(),
      env: { [COMMAND_OPTIONS_VARIABLE]: '{"taskId":"t1","kind":"portscan"}', [TASK_ID_VARIABLE]: 't1' },
    });
    expect(options).toMatchObject({ taskId: 't1', kind: 'portscan' });
  });

  it('reads the task named by SCANPLANE_TASK_ID from the store in reference mode', async () => {
    const store = createMemoryStore();
    const { created } = await store.create(
      [
        {
          project: 'p',
          kind: 'portscan',
          idempotencyKey: 'k',
          status: 'queued',
          payload: { arguments: { ports: '1-1024' } },
        },
      ],
      { at: Date.now() },
    );
    const id = created[0]?.id as string;
    const options = await readCommandOptions({ store, env: { [TASK_ID_VARIABLE]: id } });
    expect(options).toMatchObject({ taskId: id, kind: 'portscan', arguments: { ports: '1-1024' } });
  });

  it('says what is missing', async () => {
    const store = createMemoryStore();
    await expect(readCommandOptions({ store, env: {} })).rejects.toMatchObject({ code: 'INVALID_COMMAND' });
    await expect(readCommandOptions({ store, env: { [TASK_ID_VARIABLE]: 'nope' } })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
