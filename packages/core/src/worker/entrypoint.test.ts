import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ScanplaneError } from '../errors/scanplane-error.js';
import { taskIn } from '../tasks/task-fixture.js';
import {
  COMMAND_OPTIONS_VARIABLE,
  commandOptionsFor,
  EXIT_CODES,
  parseCommandOptions,
  runEntrypoint,
} from './entrypoint.js';

function streams() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  return { stdout, stderr, out: () => out, err: () => err };
}

const env = (options: unknown) => ({ [COMMAND_OPTIONS_VARIABLE]: JSON.stringify(options) });

describe('parseCommandOptions', () => {
  it('accepts valid options with chunks, organizations and arguments', () => {
    const options = parseCommandOptions(
      JSON.stringify({
        taskId: 't',
        kind: 'portscan',
        organizations: [{ id: 'o', name: 'Acme' }],
        chunkNumber: 3,
        chunkCount: 4,
        arguments: { a: 1 },
      }),
    );
    expect(options).toMatchObject({ chunkNumber: 3, chunkCount: 4, arguments: { a: 1 } });
  });

  it.each([
    [undefined, 'is not set'],
    ['not json', 'is not JSON'],
    ['[1]', 'must be a JSON object'],
    ['{"kind":"x"}', "'taskId'"],
    ['{"taskId":"t","kind":""}', "'kind'"],
    ['{"taskId":"t","kind":"x","chunkNumber":1}', 'chunks not specified'],
    ['{"taskId":"t","kind":"x","chunkNumber":4,"chunkCount":4}', 'invalid chunk number 4'],
    [
      '{"taskId":"t","kind":"x","chunkNumber":100,"chunkCount":101}',
      "'chunkCount' must be an integer from 1 to 100",
    ],
    ['{"taskId":"t","kind":"x","chunkNumber":-1,"chunkCount":2}', 'invalid chunk number -1'],
    ['{"taskId":"t","kind":"x","chunkNumber":0.5,"chunkCount":2}', 'invalid chunk number 0.5'],
    ['{"taskId":"t","kind":"x","organizations":[{"id":1}]}', "'organizations'"],
    ['{"taskId":"t","kind":"x","arguments":[1]}', "'arguments'"],
    [
      '{"taskId":"t","kind":"x","organizations":[{"id":"o","name":"O","scope":{"ipBlocks":"10.0.0.0/8"}}]}',
      'scope',
    ],
    ['{"taskId":"t","kind":"x","excludedOrganizations":"p"}', "'excludedOrganizations'"],
  ])('refuses %j with INVALID_COMMAND (%s)', (text, message) => {
    expect(() => parseCommandOptions(text)).toThrow(message);
    try {
      parseCommandOptions(text);
    } catch (error) {
      expect((error as ScanplaneError).code).toBe('INVALID_COMMAND');
    }
  });
});

describe('commandOptionsFor', () => {
  it('carries the scan, organizations, chunk and arguments a scheduled task holds', () => {
    const task = taskIn('requested', {
      scanId: 's1',
      attempt: 2,
      payload: {
        scanName: 'portscan',
        organizations: [{ id: 'o1', name: 'Acme' }],
        chunkNumber: 0,
        chunkCount: 2,
        arguments: { ports: '80' },
      },
    });
    expect(commandOptionsFor(task)).toEqual({
      taskId: 't1',
      kind: 'test',
      project: 'p',
      attempt: 2,
      scanId: 's1',
      scanName: 'portscan',
      organizations: [{ id: 'o1', name: 'Acme' }],
      chunkNumber: 0,
      chunkCount: 2,
      arguments: { ports: '80' },
    });
  });
});

describe('runEntrypoint', () => {
  it('runs the handler for the kind, prints the result and exits 0', async () => {
    const io = streams();
    const code = await runEntrypoint({
      handlers: {
        echo: async (options, { log }) => {
          log(`task ${options.taskId}`);
          return { chunk: options.chunkNumber };
        },
      },
      env: env({ taskId: 't9', kind: 'echo', chunkNumber: 1, chunkCount: 2 }),
      ...io,
    });
    expect(code).toBe(EXIT_CODES.ok);
    expect(io.out()).toBe('task t9\nSCANPLANE_RESULT {"chunk":1}\n');
  });

  it('exits 2 on invalid options or an unknown kind, naming the problem', async () => {
    const missing = streams();
    expect(await runEntrypoint({ handlers: {}, env: {}, ...missing })).toBe(EXIT_CODES.invalidCommand);
    expect(missing.err()).toContain('INVALID_COMMAND');
    const unknown = streams();
    expect(
      await runEntrypoint({
        handlers: { a: async () => 1 },
        env: env({ taskId: 't', kind: 'b' }),
        ...unknown,
      }),
    ).toBe(2);
    expect(unknown.err()).toContain("no handler for kind 'b' (known: a)");
  });

  it('exits 1 on failure, 75 on a retryable failure, 130 when aborted', async () => {
    const failed = streams();
    const fail = async () => {
      throw new Error('boom');
    };
    expect(
      await runEntrypoint({ handlers: { x: fail }, env: env({ taskId: 't', kind: 'x' }), ...failed }),
    ).toBe(1);
    expect(JSON.parse(failed.err().replace('SCANPLANE_ERROR ', ''))).toEqual({
      code: 'TASK_FAILED',
      message: 'boom',
    });
    const retry = async () => {
      throw new ScanplaneError('UNAVAILABLE', 'api down');
    };
    expect(
      await runEntrypoint({ handlers: { x: retry }, env: env({ taskId: 't', kind: 'x' }), ...streams() }),
    ).toBe(75);
    const controller = new AbortController();
    const running = runEntrypoint({
      handlers: {
        x: (_options, { signal }) =>
          new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }),
          ),
      },
      env: env({ taskId: 't', kind: 'x' }),
      signal: controller.signal,
      ...streams(),
    });
    controller.abort();
    expect(await running).toBe(EXIT_CODES.aborted);
  });
});
