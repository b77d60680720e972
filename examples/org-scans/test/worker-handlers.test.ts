// The worker image's handlers, run in this process (the container tests run the same code in Docker): each
// organization's scope goes through the core's target engine before anything is contacted, the deployment's
// allow-list keeps every other address out, and one organization's failure fails only that organization.
import { type CommandOptions, runEntrypoint, type TaskContext } from '@scanplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type Listeners, openListeners } from '../src/demo/listeners.js';
import { withScanType } from '../src/scan-types.js';
import { orgScansHandlers } from '../src/worker/worker-handlers.js';

let lab: Listeners;
let closed: number;

beforeAll(async () => {
  lab = await openListeners(1);
  closed = await closedPort();
});

afterAll(async () => {
  await lab?.close();
});

const context = (signal: AbortSignal = new AbortController().signal): TaskContext & { lines: string[] } => {
  const lines: string[] = [];
  return { signal, log: (line) => lines.push(line), lines };
};

type Outcome = {
  status: string;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
};

describe('the org-scans worker handlers', () => {
  it('portscan: the scope through the target engine, out-of-scope addresses refused and never probed', async () => {
    const handlers = orgScansHandlers({ allow: ['127.0.0.1'] });
    const options: CommandOptions = {
      taskId: 't1',
      kind: 'portscan',
      scanId: 'portscan',
      organizations: [
        // 127.0.0.2 and the /30 around it are outside the allow-list: refused before any probe.
        {
          id: 'acme',
          name: 'Acme',
          scope: { ipBlocks: ['127.0.0.1', '127.0.0.2', '127.0.0.0/30'], rootDomains: ['localhost'] },
        },
        { id: 'empty', name: 'No scope' },
      ],
      arguments: { ports: `${lab.ports[0]},${closed}` },
    };
    const ran = context();
    const result = (await handlers['portscan']?.(options, ran)) as { organizations: Record<string, Outcome> };
    const acme = result.organizations['acme'];
    expect(acme?.status).toBe('finished');
    expect(acme?.result).toMatchObject({
      addresses: ['127.0.0.1'],
      openPorts: [lab.ports[0]],
      open: [{ address: '127.0.0.1', port: lab.ports[0], hostnames: ['localhost'] }],
      closed: 1,
      probes: 2,
    });
    expect(acme?.result?.['refused']).toEqual([
      expect.objectContaining({ entry: '127.0.0.2', reason: 'out_of_scope' }),
    ]);
    expect(result.organizations['empty']).toMatchObject({
      status: 'failed',
      error: { code: 'INVALID_COMMAND' },
    });
    expect(ran.lines).toContain(`portscan acme: open 127.0.0.1:${lab.ports[0]}`);
  });

  it('discovery resolves the scope and connects to nothing; test stops when aborted', async () => {
    const handlers = orgScansHandlers({ allow: ['127.0.0.1'] });
    const before = lab.connections();
    const found = (await handlers['discovery']?.(
      {
        taskId: 't2',
        kind: 'discovery',
        organizations: [{ id: 'umbrella', name: 'Umbrella', scope: { rootDomains: ['localhost'] } }],
      },
      context(),
    )) as { organizations: Record<string, Outcome> };
    expect(found.organizations['umbrella']?.result).toMatchObject({
      addresses: ['127.0.0.1'],
      hostnames: { '127.0.0.1': ['localhost'] },
    });
    expect(lab.connections()).toBe(before);

    const controller = new AbortController();
    const running = handlers['test']?.(
      { taskId: 't3', kind: 'test', arguments: { durationMs: 60_000 } },
      context(controller.signal),
    );
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('runs under the core entrypoint: an unknown scan type exits 2, a bad port list is refused at definition time', async () => {
    const errors: string[] = [];
    const stderr = { write: (text: string) => errors.push(text) } as unknown as NodeJS.WritableStream;
    const code = await runEntrypoint({
      handlers: orgScansHandlers(),
      env: { SCANPLANE_COMMAND_OPTIONS: JSON.stringify({ taskId: 't4', kind: 'amass' }) },
      stderr,
    });
    expect(code).toBe(2);
    expect(errors.join('')).toContain("no handler for kind 'amass'");
    expect(() =>
      withScanType({ id: 'p', type: 'portscan', frequencySeconds: 60, arguments: { ports: { acme: 'x' } } }),
    ).toThrow(
      expect.objectContaining({ code: 'PORTS_INVALID', details: { where: 'scan p, arguments.ports.acme' } }),
    );
    expect(() => withScanType({ id: 'q', type: 'nmap', frequencySeconds: 60 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(
      withScanType({ id: 'g', type: 'test', frequencySeconds: 60, passive: false, global: false }),
    ).toMatchObject({
      passive: true,
      global: true,
    });
  });
});
