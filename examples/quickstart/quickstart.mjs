// scanplane quickstart: the embedded orchestrator, end to end, against listeners this script opens itself.
//
//   pnpm build && pnpm demo          (or: node examples/quickstart/quickstart.mjs)
//
// 1. opens a few TCP listeners on 127.0.0.1, and finds a closed port (binds an ephemeral port, then closes it);
// 2. submits `127.0.0.1`, `localhost` and the loopback range 127.0.0.2-127.0.0.6 with those ports to the embedded
//    orchestrator (in-memory store and queue, in-process workers, the default TCP connect scanner);
// 3. prints the plan summary (localhost collapses into 127.0.0.1: one target, one task), a table of open ports per
//    target and the final task counts;
// 4. checks what it found (exit status 1 with a message if anything is off) and closes everything, so the process
//    exits by itself.
//
// On PostgreSQL instead of memory: `node examples/quickstart/quickstart.mjs --postgres` (DATABASE_URL, else the local
// server at 127.0.0.1:5432), or `--postgres=postgres://…`, or SCANPLANE_DATABASE_URL=postgres://… — the same run,
// with tasks, coverage and workers kept by @scanplane/postgres in the schema `scanplane_quickstart` (each run its
// own project, since a durable store remembers what earlier runs scanned).
//
// Over RabbitMQ instead of the in-memory queue: `--rabbitmq` (AMQP_URL, else the local broker at 127.0.0.1:5672),
// or `--rabbitmq=amqp://…`, or SCANPLANE_AMQP_URL=amqp://… — the orchestrator publishes the tasks to
// @scanplane/rabbitmq's queues (prefix `scanplane-quickstart`) and the workers take them from there. The two flags
// combine.
//
// It only connects to loopback addresses. Nothing outside this machine is contacted.

import { once } from 'node:events';
import { createServer } from 'node:net';
import { createEmbedded, summaryToJSON } from '@scanplane/core';

/**
 * The server a flag asks for: `--<flag>=<url>`; `--<flag>` alone takes `fallbackVariable`'s URL, else `fallback`;
 * without the flag, `overrideVariable`'s URL, else undefined (the in-memory default).
 */
function serverUrl(flag, fallbackVariable, fallback, overrideVariable) {
  const arg = process.argv.slice(2).find((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  if (arg !== undefined) {
    return arg.includes('=') ? arg.slice(`--${flag}=`.length) : process.env[fallbackVariable] || fallback;
  }
  return process.env[overrideVariable] || undefined;
}
/** The PostgreSQL server to use, or undefined for the in-memory store. */
const DATABASE_URL = serverUrl(
  'postgres',
  'DATABASE_URL',
  'postgres://postgres@127.0.0.1:5432/postgres',
  'SCANPLANE_DATABASE_URL',
);
/** The RabbitMQ broker to use, or undefined for the in-memory queue. */
const AMQP_URL = serverUrl('rabbitmq', 'AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', 'SCANPLANE_AMQP_URL');
const PROJECT = DATABASE_URL === undefined ? 'quickstart' : `quickstart-${Date.now().toString(36)}`;
const LISTENERS = 3;
const WORKERS = 2;
const RANGE = '127.0.0.2-127.0.0.6';
/** An upper bound for the whole scan; on loopback it takes milliseconds. */
const SCAN_DEADLINE_MS = 30_000;

/** Opens a TCP listener on 127.0.0.1 (an ephemeral port) that closes every connection it accepts. */
async function openListener(sockets) {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.end();
  });
  server.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  return server;
}

/** A port nothing listens on: bind an ephemeral port on 127.0.0.1, then close it. */
async function findClosedPort() {
  const server = createServer();
  server.listen({ port: 0, host: '127.0.0.1' });
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

/** Orders dotted addresses numerically (127.0.0.2 before 127.0.0.10). */
const byAddress = (a, b) => a.localeCompare(b, 'en', { numeric: true });

const plural = (count, word, many = `${word}s`) => `${count} ${count === 1 ? word : many}`;

async function main() {
  const problems = [];
  const sockets = new Set();
  const servers = [];
  let embedded;
  let postgres;
  let rabbit;
  try {
    // 1. Listeners, and a closed port.
    for (let i = 0; i < LISTENERS; i++) servers.push(await openListener(sockets));
    const openPorts = servers.map((server) => server.address().port).sort((a, b) => a - b);
    const closedPort = await findClosedPort();
    const ports = [...openPorts, closedPort].join(',');
    const entries = ['127.0.0.1', 'localhost', RANGE];

    console.log(
      `scanplane quickstart: embedded orchestrator, in-process workers, TCP connect scanner, ${
        DATABASE_URL === undefined ? 'in-memory store' : 'PostgreSQL store'
      }, ${AMQP_URL === undefined ? 'in-memory queue' : 'RabbitMQ queue'}\n`,
    );
    console.log(`Listening on 127.0.0.1 ports ${openPorts.join(', ')}; port ${closedPort} is closed.`);
    console.log(`Submitting ${entries.join(', ')} with ports ${ports}.\n`);

    // 2. The embedded deployment: everything in this process.
    if (DATABASE_URL !== undefined) {
      const { createPostgresStore } = await import('@scanplane/postgres');
      postgres = await createPostgresStore({
        connectionString: DATABASE_URL,
        schema: 'scanplane_quickstart',
      });
    }
    if (AMQP_URL !== undefined) {
      const { createRabbitQueue } = await import('@scanplane/rabbitmq');
      rabbit = createRabbitQueue({ url: AMQP_URL, prefix: 'scanplane-quickstart', kinds: ['tcp-connect'] });
      await rabbit.connect();
    }
    embedded = createEmbedded({
      workers: WORKERS,
      ...(postgres === undefined ? {} : { store: postgres }),
      ...(rabbit === undefined ? {} : { queue: rabbit }),
    });
    const { orchestrator, store } = embedded;
    const submitted = await orchestrator.submit(PROJECT, entries, { ports });
    const { summary, prepared } = submitted;

    // 3a. The plan summary.
    const json = summaryToJSON(summary);
    console.log('Plan');
    console.log(
      `  ${plural(json.provided, 'entry', 'entries')} given: ${json.accepted} accepted, ${json.merged} merged, ` +
        `${json.duplicates} duplicate, ${Object.entries(json.refused)
          .filter(([, count]) => count > 0)
          .reduce((sum, [, count]) => sum + count, 0)} refused`,
    );
    console.log(
      `  ${plural(json.addresses, 'address', 'addresses')} × ${plural(openPorts.length + 1, 'port')} → ` +
        `${plural(summary.tasks, 'task')} (one per address)`,
    );
    const outcomes = [...prepared.entries()].map((entry) => {
      let what;
      if (entry.status === 'refused') what = `refused (${entry.reason}): ${entry.message}`;
      else if (entry.kind === 'hostname') {
        const resolved = entry.resolved ?? [];
        what = `resolved to ${resolved.join(', ') || 'nothing'}`;
        if (entry.status === 'merged') what += ', an address already given: collapsed into that target';
      } else what = plural(entry.addresses, 'address', 'addresses');
      return [entry.input, entry.kind ?? '-', entry.status, what];
    });
    console.log(table(['ENTRY', 'KIND', 'STATUS', 'OUTCOME'], outcomes));
    console.log('');

    // 3b. Run it: wait until no task of the project is active (or the deadline passes).
    await orchestrator.waitForIdle(PROJECT, { signal: AbortSignal.timeout(SCAN_DEADLINE_MS) });
    const status = await orchestrator.status(PROJECT);
    const tasks = await store.list({ project: PROJECT });

    const found = new Map(); // address → open ports
    const rows = tasks
      .filter((task) => task.target !== undefined)
      .sort((a, b) => byAddress(a.target.ip ?? '', b.target.ip ?? ''))
      .map((task) => {
        const result = task.status === 'finished' ? task.result : undefined;
        const open = [...(result?.open ?? [])].sort((a, b) => a.port - b.port);
        for (const { address, port } of open) found.set(address, [...(found.get(address) ?? []), port]);
        return [
          task.target.ip ?? task.target.addresses.join(' '),
          task.target.hostnames.join(', ') || '-',
          task.status,
          result === undefined ? '-' : String(result.closed + result.filtered),
          open.map(({ port, latencyMs }) => `${port} (${latencyMs.toFixed(1)} ms)`).join(', ') || '-',
        ];
      });
    console.log('Open ports per target');
    console.log(table(['TARGET', 'HOSTNAMES', 'TASK', 'NOT OPEN', 'OPEN PORTS (CONNECT TIME)'], rows));
    console.log('');

    // 3c. The final task counts.
    const counts = status.counts;
    console.log(
      `Tasks: ${counts.finished} finished, ${counts.failed} failed, ${counts.cancelled} cancelled, ` +
        `${status.active} still active (of ${summary.tasks})`,
    );

    // 4. Check what happened.
    const localhost = [...prepared.entries()].find((entry) => entry.input === 'localhost');
    const loopbackTask = tasks.find((task) => task.target?.ip === '127.0.0.1');
    if (localhost?.status === 'refused') {
      console.log(
        `\nNote: localhost could not be resolved on this machine (${localhost.message}); ` +
          'add "127.0.0.1 localhost" to /etc/hosts to see it collapse into 127.0.0.1.',
      );
    } else if (localhost?.resolved?.includes('127.0.0.1')) {
      if (!loopbackTask?.target?.hostnames.includes('localhost'))
        problems.push('localhost resolved to 127.0.0.1 but is not a hostname of the 127.0.0.1 task');
      if (tasks.filter((task) => task.target?.ip === '127.0.0.1').length !== 1)
        problems.push('127.0.0.1 and localhost did not collapse into one task');
    } else {
      console.log(
        `\nNote: localhost resolved to ${localhost?.resolved?.join(', ') || 'nothing'} on this machine, ` +
          'not 127.0.0.1, so it is a target of its own.',
      );
    }
    if (BigInt(summary.tasks) !== summary.addresses)
      problems.push(`expected one task per address (${summary.addresses}), got ${summary.tasks}`);
    const open127 = [...(found.get('127.0.0.1') ?? [])].sort((a, b) => a - b);
    if (open127.join(',') !== openPorts.join(','))
      problems.push(
        `expected open ports ${openPorts.join(', ')} on 127.0.0.1, found ${open127.join(', ') || 'none'}`,
      );
    for (const [address, list] of found) {
      if (address !== '127.0.0.1') problems.push(`unexpected open ports on ${address}: ${list.join(', ')}`);
    }
    if (status.active > 0 || counts.finished !== summary.tasks)
      problems.push(`not every task finished: ${JSON.stringify(counts)}`);
    for (const task of tasks.filter((t) => t.status === 'failed'))
      problems.push(`task ${task.target?.ip ?? task.id} failed: ${task.error?.code}: ${task.error?.message}`);
  } finally {
    // Close everything, so the process exits on its own.
    await embedded?.close();
    await rabbit?.close();
    await postgres?.close();
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
  if (problems.length > 0) {
    console.error(`\nquickstart: FAILED\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log('\nquickstart: OK (everything closed)');
    process.exitCode = 0;
  }
}

// Failing until main() says otherwise: should the process run out of work before main() ends (a promise that never
// settles), it must not exit 0.
let done = false;
process.exitCode = 1;
process.on('exit', () => {
  if (!done) console.error('quickstart: FAILED: the process ran out of work before the scan ended');
});
main().then(
  () => {
    done = true;
  },
  (error) => {
    done = true;
    console.error(`quickstart: FAILED: ${error?.stack ?? error}`);
    process.exitCode = 1;
  },
);
