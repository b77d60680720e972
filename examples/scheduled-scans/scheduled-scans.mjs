// scanplane scheduled scans: the recurring scheduler (modelled on CISA Crossfeed's) driving the embedded orchestrator,
// end to end, in one process, against listeners this script opens itself on 127.0.0.1.
//
//   pnpm install && pnpm build
//   node examples/scheduled-scans/scheduled-scans.mjs
//
// 1. opens TCP listeners on 127.0.0.1, a few per organization, and finds a closed port;
// 2. defines four organizations, all scoped to 127.0.0.1 (one passive, two tagged `energy`), and four scans: a
//    passive per-organization `discovery`; an active `portscan` that depends on it; a granular `energy-advisories`
//    that picks organizations by tag; a passive global `census` split into 3 chunks;
// 3. runs four scheduler ticks on a manual clock (day 0 00:00 and 00:05, then a day later at 00:10 and 00:15), with
//    a manual run of `census` requested before tick 2. After each tick it waits until the tick's tasks have ended,
//    then prints the tick's decisions (launched or skipped, with the reason) and what each task found;
// 4. prints the open ports found per organization and `scheduler.explain()` for a few (scan, organization) pairs;
// 5. checks the results (exit status 1 with a message if anything is off) and closes everything, so the process
//    exits by itself.
//
// `discovery` fails on purpose once, for globex only: its batch-mate acme still finishes, and globex's portscan waits
// until a discovery has succeeded there. Only 127.0.0.1 is ever contacted; the portscan handler refuses anything else.

import { once } from 'node:events';
import { createServer } from 'node:net';
import {
  ACTIVE_STATUSES,
  AddressSet,
  chunkSlice,
  commandOptionsFor,
  createEmbedded,
  createManualClock,
  createScheduler,
  PortSet,
  runForOrganizations,
  scanTcp,
} from '@scanplane/core';

const LOOPBACK = '127.0.0.1';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Day 0, 00:00 UTC on the manual clock. */
const START = Date.parse('2026-01-05T00:00:00Z');
/** Real time allowed for one tick's tasks to end; on loopback they take milliseconds. */
const TICK_DEADLINE_MS = 30_000;

/** The organizations; `listeners` is how many TCP listeners on 127.0.0.1 stand for its services. */
const ORGANIZATIONS = [
  { id: 'acme', name: 'Acme Energy', passive: false, tags: ['energy'], listeners: 2 },
  { id: 'globex', name: 'Globex', passive: false, tags: [], listeners: 1 },
  { id: 'initech', name: 'Initech', passive: true, tags: [], listeners: 1 },
  { id: 'umbrella', name: 'Umbrella Power', passive: false, tags: ['energy'], listeners: 2 },
];
/** Discovery fails for this organization the first time it runs there, on purpose. */
const FAIL_ONCE = 'globex';

/** The ticks: when each runs, and what happens just before it. */
const TICKS = [
  { at: START },
  { at: START + 5 * MINUTE, manualRun: { scanId: 'census', at: START + 4 * MINUTE } },
  { at: START + DAY + 10 * MINUTE },
  { at: START + DAY + 15 * MINUTE },
];

/** Opens a TCP listener on 127.0.0.1 (an ephemeral port) that counts and closes every connection it accepts. */
async function openListener(sockets, counter) {
  const server = createServer((socket) => {
    counter.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.end();
  });
  server.listen({ port: 0, host: LOOPBACK });
  await once(server, 'listening');
  return server;
}

/** A port nothing listens on: bind an ephemeral port on 127.0.0.1, then close it. */
async function findClosedPort() {
  const server = createServer();
  server.listen({ port: 0, host: LOOPBACK });
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Left-aligned text table: a header row, then rows; every cell already a string. */
function table(header, rows, indent = '  ') {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i].length)));
  const line = (row) =>
    indent +
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const iso = (ms) => new Date(ms).toISOString();
/** `2026-01-06 00:10 UTC (day 1)`. */
const when = (ms) => `${iso(ms).slice(0, 16).replace('T', ' ')} UTC (day ${Math.floor((ms - START) / DAY)})`;
const plural = (count, word, many = `${word}s`) => `${count} ${count === 1 ? word : many}`;
const GLOBAL = '(global)';

async function main() {
  const problems = [];
  const sockets = new Set();
  const servers = [];
  /** Per organization: its listeners' ports and how many connections they accepted. */
  const listening = new Map();
  let embedded;
  let scheduler;
  try {
    // 1. Listeners, a few per organization, and one closed port.
    for (const organization of ORGANIZATIONS) {
      const entry = { ports: [], counter: { connections: 0 } };
      for (let i = 0; i < organization.listeners; i++) {
        const server = await openListener(sockets, entry.counter);
        servers.push(server);
        entry.ports.push(server.address().port);
      }
      entry.ports.sort((a, b) => a - b);
      listening.set(organization.id, entry);
    }
    const closedPort = await findClosedPort();

    // 2. The embedded deployment and the scheduler, on one manual clock: time moves only when this script says.
    const clock = createManualClock(START);
    let failedOnce = false;

    /** Passive: reads the organization's scope from the store; contacts nothing. */
    const discovery = (task, context) =>
      runForOrganizations(commandOptionsFor(task), context, async ({ organizationId, scope }) => {
        if (organizationId === FAIL_ONCE && !failedOnce) {
          failedOnce = true;
          throw new Error('passive DNS source timed out (a failure on purpose, once)');
        }
        // Scheduled tasks carry each organization's scope.
        const addresses = AddressSet.parse(scope.ipBlocks);
        return {
          addresses: Number(addresses.size),
          summary: `${plural(Number(addresses.size), 'address', 'addresses')} in scope (${scope.ipBlocks.join(', ')})`,
        };
      });

    /** Active: a TCP connect scan of the organization's scope, on the ports the scan's arguments give it. */
    const portscan = (task, context) =>
      runForOrganizations(commandOptionsFor(task), context, async ({ organizationId, scope, options }) => {
        if (!scope.ipBlocks.every((block) => block === LOOPBACK))
          throw new Error(`this example scans ${LOOPBACK} only, not ${scope.ipBlocks.join(', ')}`);
        const ports = options.arguments.ports[organizationId];
        const result = await scanTcp(AddressSet.parse(scope.ipBlocks), PortSet.parse(ports), {
          timeoutMs: 1000,
          signal: context.signal,
        });
        const open = result.open.map(({ port }) => port).sort((a, b) => a - b);
        return {
          open,
          closed: result.closed,
          summary: `open ${open.join(', ') || 'none'}; ${result.closed} closed (of ${result.probes} probed)`,
        };
      });

    /** Passive: a stand-in for a sector advisory check; contacts nothing. */
    const advisories = (task, context) =>
      runForOrganizations(commandOptionsFor(task), context, async ({ organizationId }) => {
        const { tags } = await embedded.store.getOrganization(organizationId);
        return { summary: `checked advisories for ${tags.join(', ')}` };
      });

    /** Passive and global: each chunk takes its share of the organizations (in id order), deterministically. */
    const census = async (task) => {
      const { chunkNumber, chunkCount } = commandOptionsFor(task);
      const all = (await embedded.store.listOrganizations()).map((organization) => organization.id);
      const mine = chunkSlice(all, chunkNumber, chunkCount);
      return {
        chunk: chunkNumber,
        organizations: mine,
        summary: `chunk ${chunkNumber + 1}/${chunkCount}: ${mine.join(', ')}`,
      };
    };

    const handlers = { discovery, portscan, advisories, census };
    embedded = createEmbedded({
      clock,
      workers: 2,
      concurrency: 4,
      // The reaper's period, on the manual clock: an hour keeps "a day later" to a few dozen reaper rounds.
      intervalMs: 60 * MINUTE,
      handler: async (task, context) => {
        const handler = handlers[task.kind];
        if (handler === undefined) throw new Error(`no handler for ${task.kind}`);
        return handler(task, context);
      },
    });
    const { store, orchestrator } = embedded;
    scheduler = createScheduler({
      store,
      queue: embedded.queue,
      clock,
      organizationsPerTask: 2,
      knownTypes: Object.keys(handlers),
      taskEvents: orchestrator.events,
    });

    for (const { listeners: _, ...organization } of ORGANIZATIONS) {
      await store.putOrganization({ ...organization, scope: { ipBlocks: [LOOPBACK] } });
    }
    const portsOf = Object.fromEntries(
      [...listening].map(([id, { ports }]) => [id, [...ports, closedPort].join(',')]),
    );
    const SCANS = [
      { id: 'discovery', type: 'discovery', passive: true, frequencySeconds: DAY / 1000 },
      {
        id: 'portscan',
        type: 'portscan',
        passive: false,
        frequencySeconds: DAY / 1000,
        dependsOn: ['discovery'],
        arguments: { ports: portsOf },
      },
      {
        id: 'energy-advisories',
        type: 'advisories',
        passive: true,
        frequencySeconds: DAY / 1000,
        granular: { tags: ['energy'] },
      },
      {
        id: 'census',
        type: 'census',
        global: true,
        passive: true,
        chunks: 3,
        frequencySeconds: (7 * DAY) / 1000,
      },
    ];
    // The store dates each definition (createdAt) by the deployment's clock.
    for (const scan of SCANS) await store.putScan(scan);

    console.log('scanplane scheduled scans: the scheduler and the embedded orchestrator on a manual clock\n');
    console.log('Organizations (every scope is 127.0.0.1; each has its own listeners there)');
    console.log(
      table(
        ['ORGANIZATION', 'NAME', 'PASSIVE', 'TAGS', 'LISTENING ON 127.0.0.1'],
        ORGANIZATIONS.map((o) => [
          o.id,
          o.name,
          o.passive ? 'yes' : 'no',
          o.tags.join(', ') || '-',
          listening.get(o.id).ports.join(', '),
        ]),
      ),
    );
    console.log(`Port ${closedPort} is closed; every portscan probes it too.\n`);
    const describe = (scan) =>
      [
        scan.passive ? 'passive' : 'active',
        scan.global ? 'global' : 'per organization',
        scan.granular ? `granular: tag ${scan.granular.tags.join(', ')}` : undefined,
        scan.chunks ? `${scan.chunks} chunks` : undefined,
        scan.dependsOn ? `depends on ${scan.dependsOn.join(', ')}` : undefined,
      ]
        .filter(Boolean)
        .join(', ');
    console.log('Scans (organizations per task: 2)');
    console.log(
      table(
        ['SCAN', 'TYPE', 'EVERY', 'WHAT'],
        SCANS.map((scan) => [
          scan.id,
          scan.type,
          plural(scan.frequencySeconds / 86_400, 'day'),
          describe(scan),
        ]),
      ),
    );
    console.log('');

    /** Waits (in real time) until the scheduler's project has no active task. */
    const settle = async () => {
      const deadline = AbortSignal.timeout(TICK_DEADLINE_MS);
      await orchestrator.waitForIdle(scheduler.project, { signal: deadline, pollMs: 5 });
      const counts = await store.count({ project: scheduler.project });
      const active = ACTIVE_STATUSES.reduce((sum, status) => sum + counts[status], 0);
      if (active > 0) throw new Error(`${active} task(s) still active ${TICK_DEADLINE_MS} ms after the tick`);
    };

    // Task numbers (#1, #2, …) in launch order, for the tables.
    const numbers = new Map();
    const launchedBy = new Map(); // planned task key → task
    scheduler.events.on('launch', (task, planned) => {
      numbers.set(task.id, numbers.size + 1);
      launchedBy.set(planned.key, task);
    });
    const scanOrder = new Map(SCANS.map((scan, i) => [scan.id, i]));
    const byScanThenOrganization = (a, b) =>
      scanOrder.get(a[0]) - scanOrder.get(b[0]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
    const explanations = [];
    const explain = async (scanId, organizationId) =>
      explanations.push({ at: clock.now(), answer: await scheduler.explain(scanId, organizationId) });

    // 3. The ticks.
    for (const [index, tick] of TICKS.entries()) {
      if (tick.manualRun !== undefined) {
        await clock.set(tick.manualRun.at);
        await store.requestManualRun(tick.manualRun.scanId, clock.now());
        console.log(`Manual run of ${tick.manualRun.scanId} requested at ${when(clock.now())}\n`);
      }
      await clock.set(tick.at);
      const report = await scheduler.tick();
      if (report === undefined)
        throw new Error('the tick was skipped: another process holds the scheduler lock');
      const label = `Tick ${index + 1}`;

      const task = (planned) => launchedBy.get(planned.key);
      const rows = [];
      for (const [decision, list] of [
        ['launched', report.plan.launch],
        ['queued', report.plan.queue],
      ]) {
        for (const planned of list) {
          const chunk =
            planned.payload.chunkCount === undefined
              ? ''
              : `, chunk ${planned.payload.chunkNumber + 1} of ${planned.payload.chunkCount}`;
          const detail =
            planned.organizationIds.length === 0
              ? `task #${numbers.get(task(planned)?.id)}${chunk}`
              : `task #${numbers.get(task(planned)?.id)} with ${planned.organizationIds.join(', ')}${chunk}`;
          for (const organizationId of planned.organizationIds.length === 0
            ? [GLOBAL]
            : planned.organizationIds)
            rows.push([
              planned.scanId,
              organizationId,
              decision,
              planned.manual ? 'manual run' : 'due',
              detail,
            ]);
        }
      }
      for (const skip of report.plan.skipped) {
        const detail = skip.detail ?? (skip.dueAt === undefined ? '' : `due after ${iso(skip.dueAt)}`);
        rows.push([skip.scanId, skip.organizationId ?? GLOBAL, 'skipped', skip.reason, detail]);
      }
      rows.sort(byScanThenOrganization);
      console.log(
        `${label} at ${when(report.plan.at)}: ${plural(report.launched.length, 'task')} launched, ` +
          `${report.queued.length} queued, ${plural(report.plan.skipped.length, 'pair')} skipped`,
      );
      console.log(table(['SCAN', 'ORGANIZATION', 'DECISION', 'WHY', 'DETAIL'], rows));
      console.log('');

      await settle();

      const results = [];
      for (const id of report.launched) {
        const done = await store.get(id);
        const number = `#${numbers.get(id)}`;
        if (done.organizationIds.length === 0) {
          const outcome =
            done.status === 'finished' ? done.result.summary : `${done.error?.code}: ${done.error?.message}`;
          results.push([number, done.status, done.scanId, GLOBAL, done.status, outcome]);
          continue;
        }
        for (const organizationId of done.organizationIds) {
          const outcome = done.result?.organizations?.[organizationId];
          results.push([
            number,
            done.status,
            done.scanId,
            organizationId,
            outcome?.status ?? done.status,
            outcome?.status === 'finished'
              ? outcome.result.summary
              : `${(outcome?.error ?? done.error)?.code}: ${(outcome?.error ?? done.error)?.message}`,
          ]);
        }
      }
      console.log(`${label} results`);
      console.log(table(['TASK', 'TASK STATUS', 'SCAN', 'ORGANIZATION', 'OUTCOME', 'RESULT'], results));
      console.log('');

      if (index === 0) {
        // After the first tick's work: acme's discovery finished, globex's failed.
        await explain('portscan', 'acme');
        await explain('portscan', 'globex');
      }
    }

    // 4a. Open ports per organization, from the latest portscan that covered it.
    const tasks = await store.list({ project: scheduler.project });
    const portscans = tasks
      .filter((task) => task.scanId === 'portscan' && task.status === 'finished')
      .sort((a, b) => a.createdAt - b.createdAt);
    // A listener counts a connection when it accepts it, which can come a moment after the scanner saw the connect
    // succeed: give the counts a moment (real time) to catch up with what the portscans found.
    const foundBy = (id) =>
      portscans.reduce((sum, task) => sum + (task.result.organizations[id]?.result?.open.length ?? 0), 0);
    for (let i = 0; i < 100; i++) {
      if (ORGANIZATIONS.every(({ id }) => listening.get(id).counter.connections >= foundBy(id))) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const portRows = [];
    for (const { id } of ORGANIZATIONS) {
      const { ports, counter } = listening.get(id);
      const runs = portscans.filter(
        (task) => task.result.organizations[id]?.status === 'finished' && task.organizationIds.includes(id),
      );
      const latest = runs.at(-1)?.result.organizations[id].result;
      portRows.push([
        id,
        ports.join(', '),
        String(counter.connections),
        String(runs.length),
        latest === undefined ? '-' : latest.open.join(', ') || 'none',
      ]);
      if (runs.length > 0 && latest.open.join(',') !== ports.join(','))
        problems.push(
          `${id}: the portscan found ${latest.open.join(', ') || 'nothing'}, it listens on ${ports.join(', ')}`,
        );
    }
    console.log('Open ports per organization');
    console.log(
      table(
        ['ORGANIZATION', 'LISTENING', 'CONNECTIONS ACCEPTED', 'PORTSCANS', 'OPEN (LATEST PORTSCAN)'],
        portRows,
      ),
    );
    console.log('');

    // 4b. Why (not): scheduler.explain() for a few pairs, now.
    await explain('portscan', 'initech');
    await explain('energy-advisories', 'globex');
    await explain('portscan', 'acme');
    await explain('census');
    console.log('Why (scheduler.explain)');
    console.log(
      table(
        ['AT', 'SCAN', 'ORGANIZATION', 'RUN NOW', 'WHY'],
        explanations.map(({ at, answer }) => [
          when(at),
          answer.scanId,
          answer.organizationId ?? GLOBAL,
          answer.run ? 'yes' : 'no',
          answer.run
            ? `${answer.manual ? 'manual run' : 'due'} since ${iso(answer.dueSince)}`
            : `${answer.reason}${answer.detail === undefined ? '' : `: ${answer.detail}`}`,
        ]),
      ),
    );
    console.log('');

    // 4c. Totals.
    const counts = await store.count({ project: scheduler.project });
    console.log(
      `Tasks: ${counts.finished} finished, ${counts.failed} failed, ${counts.cancelled} cancelled ` +
        `(of ${tasks.length}, in ${TICKS.length} ticks)`,
    );

    // 5. Check what happened.
    if (counts.finished !== tasks.length) problems.push(`not every task finished: ${JSON.stringify(counts)}`);
    if (listening.get('initech').counter.connections !== 0)
      problems.push('the passive organization initech was contacted');
    if (!failedOnce) problems.push(`discovery never failed for ${FAIL_ONCE}`);
    if ((await store.getScan('census')).manualRunRequestedAt !== undefined)
      problems.push('the manual run of census is still pending');
  } finally {
    // Close everything, so the process exits on its own. Should a task still run (only after a failure above), cancel
    // it first: the workers' grace period is measured on the manual clock, which no longer moves.
    await scheduler?.close();
    if (scheduler !== undefined)
      await embedded?.orchestrator.stop(scheduler.project, 'the example is ending');
    await embedded?.close();
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
  if (problems.length > 0) {
    console.error(`\nscheduled-scans: FAILED\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log('\nscheduled-scans: OK (everything closed)');
    process.exitCode = 0;
  }
}

// Failing until main() says otherwise: should the process run out of work before main() ends (a promise that never
// settles), it must not exit 0.
let done = false;
process.exitCode = 1;
process.on('exit', () => {
  if (!done) console.error('scheduled-scans: FAILED: the process ran out of work before the run ended');
});
main().then(
  () => {
    done = true;
  },
  (error) => {
    done = true;
    console.error(`scheduled-scans: FAILED: ${error?.stack ?? error}`);
    process.exitCode = 1;
  },
);
