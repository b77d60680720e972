import type { Organization, ScanDefinition, ScheduleStore } from '@scanplane/core';
import { withScanType } from '../scan-types.js';
import { closedPort, type Listeners, openListeners } from './listeners.js';

/** The demo's organizations (every scope is this machine's loopback) and how many listeners each gets. */
export const DEMO_ORGANIZATIONS: ReadonlyArray<Organization & { listeners: number }> = [
  {
    id: 'acme',
    name: 'Acme Energy',
    passive: false,
    tags: ['energy'],
    scope: { ipBlocks: ['127.0.0.1'] },
    listeners: 2,
  },
  {
    id: 'umbrella',
    name: 'Umbrella Power',
    passive: false,
    tags: ['energy'],
    // A root domain only: the worker's target engine resolves it (hosts file) to 127.0.0.1.
    scope: { rootDomains: ['localhost'] },
    listeners: 1,
  },
  {
    id: 'globex',
    name: 'Globex',
    passive: false,
    tags: [],
    scope: { ipBlocks: ['127.0.0.1/32'] },
    listeners: 1,
  },
  {
    id: 'initech',
    name: 'Initech',
    passive: true,
    tags: ['energy'],
    scope: { ipBlocks: ['127.0.0.1'] },
    listeners: 1,
  },
  {
    id: 'hooli',
    name: 'Hooli',
    passive: false,
    tags: ['retail'],
    scope: { ipBlocks: ['127.0.0.1'] },
    listeners: 1,
  },
];

/** The organizations the demo's portscan selects (granular: tag `energy`, plus `globex` by name). */
export const PORTSCAN_SELECTION = { tags: ['energy'], organizations: ['globex'] };

/**
 * What {@link seedDemo} set up.
 *
 * @example
 * ```ts
 * import type { SeededDemo } from './seed.js';
 * const ports = (demo: SeededDemo) => demo.listeners.get('acme')?.ports;
 * ```
 */
export interface SeededDemo {
  /** Each organization's listeners on 127.0.0.1. */
  listeners: Map<string, Listeners>;
  /** A port of 127.0.0.1 nothing listens on; every portscan probes it too. */
  closedPort: number;
  /** The scan definitions stored. */
  scans: ScanDefinition[];
  /** Closes the listeners. */
  close(): Promise<void>;
}

/**
 * Seeds the demo: opens each organization's listeners on 127.0.0.1, stores the organizations and three scans —
 * `discovery` (passive, every organization, daily), `portscan` (active, hourly, granular: tag `energy` and
 * `globex`; each organization probed on its own listeners' ports plus one closed port) and `smoke-test` (global,
 * single shot) — and asks for a manual run of each, so the next tick runs them whatever their history.
 *
 * @example
 * ```ts
 * import { seedDemo } from './seed.js';
 * declare const store: import('@scanplane/core').ScheduleStore;
 * const demo = await seedDemo(store, Date.now());
 * await demo.close();
 * ```
 */
export async function seedDemo(store: ScheduleStore, now: number): Promise<SeededDemo> {
  const listeners = new Map<string, Listeners>();
  try {
    for (const { listeners: count, ...organization } of DEMO_ORGANIZATIONS) {
      listeners.set(organization.id, await openListeners(count));
      await store.putOrganization(organization);
    }
    const closed = await closedPort();
    const ports = Object.fromEntries(
      [...listeners].map(([id, { ports: open }]) => [id, [...open, closed].join(',')]),
    );
    const scans = [
      withScanType({ id: 'discovery', type: 'discovery', frequencySeconds: 86_400 }),
      withScanType({
        id: 'portscan',
        type: 'portscan',
        frequencySeconds: 3600,
        granular: PORTSCAN_SELECTION,
        arguments: { ports, timeoutMs: 1000 },
      }),
      withScanType({
        id: 'smoke-test',
        type: 'test',
        frequencySeconds: 86_400,
        singleShot: true,
        arguments: { durationMs: 300 },
      }),
    ];
    for (const scan of scans) {
      await store.putScan(scan, { at: now });
      await store.requestManualRun(scan.id, now);
    }
    return {
      listeners,
      closedPort: closed,
      scans,
      async close() {
        await Promise.all([...listeners.values()].map((each) => each.close()));
      },
    };
  } catch (error) {
    await Promise.all([...listeners.values()].map((each) => each.close()));
    throw error;
  }
}
