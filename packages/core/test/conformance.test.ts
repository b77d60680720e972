// Runs every port conformance suite of `@scanplane/core/testing` against the in-memory implementations. Adapter
// packages do the same against real servers.
import {
  createInProcessLauncher,
  createManualClock,
  createMemoryLock,
  createMemoryQueue,
  createMemoryStore,
  createStaticResolver,
  systemClock,
  type TaskHandler,
} from '../src/index.js';
import {
  type ConformanceBehaviour,
  runClockConformance,
  runLauncherConformance,
  runLedgerConformance,
  runLockConformance,
  runQueueConformance,
  runResolverConformance,
  runScheduleStoreConformance,
  runTaskStoreConformance,
  runWorkerRegistryConformance,
} from '../src/testing/index.js';

runTaskStoreConformance({
  name: 'memory',
  create: async () => ({ store: createMemoryStore() }),
});
runTaskStoreConformance({
  name: 'memory, 64 KiB payloads',
  create: async () => ({ store: createMemoryStore({ maxPayloadBytes: 65_536 }) }),
  oversizedBytes: 70_000,
});

runScheduleStoreConformance({
  name: 'memory',
  create: async () => ({ store: createMemoryStore() }),
});

runLedgerConformance({
  name: 'memory',
  create: async () => {
    const store = createMemoryStore();
    return { ledger: store, store };
  },
});

runWorkerRegistryConformance({ name: 'memory', create: async () => ({ registry: createMemoryStore() }) });

runQueueConformance({
  name: 'memory',
  create: async () => ({ queue: createMemoryQueue({ deliveryLimit: 3 }) }),
});
runQueueConformance({
  name: 'memory, no delivery limit',
  create: async () => ({ queue: createMemoryQueue({ deliveryLimit: 0 }) }),
  skip: [
    {
      reason: 'deliveryLimit 0: this queue never dead-letters by count',
      tests: ['a message past the delivery limit is dead-lettered'],
    },
  ],
});

/** The conformance worker: does what `task.payload.behaviour` asks, and logs a line. */
const conformanceHandler: TaskHandler = async (task, { signal, log }) => {
  const behaviour = task.payload?.['behaviour'] as ConformanceBehaviour | undefined;
  log(`conformance worker: ${String(behaviour)}`);
  switch (behaviour) {
    case 'succeed':
      return { ok: true };
    case 'fail':
      throw new Error('conformance: asked to fail');
    case 'hang':
      return new Promise((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    default:
      throw new Error(`conformance: unknown behaviour ${String(behaviour)}`);
  }
};

runLauncherConformance({
  name: 'in-process',
  create: async () => ({
    launcher: createInProcessLauncher({ handler: conformanceHandler, concurrency: 4 }),
  }),
});

runLockConformance({
  name: 'memory',
  create: async () => ({ lock: createMemoryLock() }),
  waiterSpacingMs: 5,
});

runResolverConformance({
  name: 'static',
  create: async () => ({
    resolver: createStaticResolver({ 'web.conformance.test': ['192.0.2.10', '2001:db8::10', '192.0.2.11'] }),
  }),
  known: { name: 'web.conformance.test', addresses: ['192.0.2.10', '192.0.2.11', '2001:db8::10'] },
  unknown: 'missing.conformance.test',
});
runResolverConformance({
  name: 'static, IPv4 only',
  create: async () => ({ resolver: createStaticResolver('192.0.2.20 v4.conformance.test\n') }),
  known: { name: 'v4.conformance.test', addresses: ['192.0.2.20'] },
  unknown: 'missing.conformance.test',
});

runClockConformance({ name: 'system', create: async () => ({ clock: systemClock }) });
runClockConformance({
  name: 'manual',
  create: async () => {
    const clock = createManualClock(Date.parse('2026-01-01T00:00:00.000Z'));
    return { clock, advance: (ms) => clock.advance(ms) };
  },
});
