// A RabbitMQ broker for the adapter's integration tests: AMQP_URL when it is set, else a throwaway node
// (rabbitmq-server with its own node name, ports, cookie, data and log directories, no plugins) on free loopback
// ports in a temporary directory, stopped and removed at the end. Tests that stop the broker (`{ own: true }`) or
// need a broker setting (`{ consumerTimeoutMs }`) always start their own throwaway node.
//
// The node never touches a shared broker (rabbit@localhost on 5672): it has its own name, AMQP port, distribution
// port, Erlang cookie (HOME is its temp dir) and files, and only the shared epmd is common. It is run from the
// RabbitMQ scripts directory (/usr/lib/rabbitmq/bin on Debian), not through /usr/sbin's wrapper, which switches to
// the `rabbitmq` user (and so to that user's cookie) when run as root. RabbitMQ itself runs fine as root.
//
// A node takes about 3 s to start here (2.8-3.0 s on an idle machine, up to 4.5 s under load; most of it the Erlang
// VM loading RabbitMQ's modules); no plugin is enabled, and stop() takes about 1.5 s. A node cannot outlive the test process: stop() runs `rabbitmqctl stop` and kills what is left, a
// process 'exit' handler kills the nodes still running, and a small watchdog shell kills the node and removes its
// directory when the test process dies without running either (SIGKILL, a worker terminated by the runner).
import { execFile as execFileCallback, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import amqplib from 'amqplib';

const execFile = promisify(execFileCallback);

/** A RabbitMQ broker for one test file. */
export interface TestBroker {
  /** amqp://guest:guest@127.0.0.1:<port> */
  url: string;
  /** Whether this process started the node (and may stop/restart it). */
  owned: boolean;
  /** The node name (for rabbitmqctl -n), undefined when not owned. */
  node?: string;
  /** `rabbitmqctl stop_app` on the owned node: every connection drops, the node stays up. */
  stopApp(): Promise<void>;
  /** `rabbitmqctl start_app`, then waits until the AMQP port accepts connections again. */
  startApp(): Promise<void>;
  /**
   * Runs rabbitmqctl against the node with these args and returns stdout (e.g. ['list_queues','name','messages']).
   * Add '-q' to drop the "Timeout: …" and "Listing queues …" lines. `list_queues` counts of quorum queues are
   * refreshed once a second on an owned node (they may lag that much; AMQP `checkQueue` counts do not).
   */
  ctl(args: string[]): Promise<string>;
  /** Stops the node (if owned) and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

/** How {@link startBroker} picks or configures the broker. */
export interface BrokerOptions {
  /** Always start a throwaway node, even when AMQP_URL is set (fault tests). */
  own?: boolean;
  /**
   * The broker's consumer_timeout (delivery acknowledgement timeout) in ms, for an owned node: setting it implies
   * `own` (a shared broker's setting cannot be changed). A consumer holding an unacked message longer than this has
   * its channel closed (406 PRECONDITION_FAILED "delivery acknowledgement on channel N timed out…") within about
   * 0.25 s after the timeout.
   */
  consumerTimeoutMs?: number;
}

const INSTALL_HINT =
  'RabbitMQ server scripts (rabbitmq-server, rabbitmqctl) were not found. Install them with ' +
  '`apt-get install -y rabbitmq-server` (Debian/Ubuntu), or point the tests at a running broker with ' +
  'AMQP_URL=amqp://guest:guest@127.0.0.1:5672.';

/** How long a node may take to accept AMQP connections, at start and after start_app. */
const READY_TIMEOUT_MS = 60_000;
/** How long `rabbitmqctl stop` may take before the node is killed. */
const STOP_TIMEOUT_MS = 15_000;
/**
 * The channel tick (advanced.config `channel_tick_interval`, default 60 s) when a consumer timeout is set: the
 * broker checks the consumer timeout only on that tick, so a channel holding an unacked message past the timeout is
 * closed between `consumerTimeoutMs` and `consumerTimeoutMs` + this much later (measured: 2000 ms → 2.08-2.22 s with
 * 250 ms, 2.45 s with 500 ms, 2.96 s with 1000 ms, 60 s with the default).
 */
const CONSUMER_TIMEOUT_TICK_MS = 250;
/**
 * The quorum queue tick (advanced.config `quorum_tick_interval`, default 5 s), which also refreshes the counters
 * `rabbitmqctl list_queues` shows for quorum queues: with the default they lag by up to 5 s, with 1 s by about 1 s.
 * (AMQP `checkQueue` counts are always current.)
 */
const QUORUM_TICK_MS = 1000;

/**
 * The directory holding the real rabbitmq-server and rabbitmqctl scripts (with rabbitmq-env beside them): Debian's
 * /usr/lib/rabbitmq/bin, or where a rabbitmq-server on PATH (or in /usr/sbin, /usr/local/sbin) really lives.
 */
function scriptsDirectory(): string {
  const path = (process.env.PATH ?? '').split(':').filter((dir) => dir !== '');
  for (const dir of ['/usr/lib/rabbitmq/bin', ...path, '/usr/sbin', '/usr/local/sbin']) {
    const server = join(dir, 'rabbitmq-server');
    if (!existsSync(server)) continue;
    const real = dirname(realpathSync(server));
    if (
      ['rabbitmq-server', 'rabbitmqctl', 'rabbitmq-env'].every((script) => existsSync(join(real, script)))
    ) {
      return real;
    }
  }
  throw new Error(INSTALL_HINT);
}

/** rabbitmqctl's own (hidden) node listens on 35672-35682: keep the test nodes off those ports. */
const CTL_DIST_PORTS = { min: 35672, max: 35682 };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Two different free loopback ports (AMQP and Erlang distribution). */
async function freePorts(): Promise<[number, number]> {
  const ports: number[] = [];
  while (ports.length < 2) {
    const port = await freePort();
    if (ports.includes(port) || (port >= CTL_DIST_PORTS.min && port <= CTL_DIST_PORTS.max)) continue;
    ports.push(port);
  }
  return [ports[0]!, ports[1]!];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a promise at most `ms` (without leaving a timer behind that keeps the process alive). */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects once to the broker (and closes the connection): rejects when it does not accept AMQP connections. */
async function amqpAnswers(url: string): Promise<void> {
  const connection = await amqplib.connect(url, { timeout: 2000 });
  connection.on('error', () => undefined);
  await connection.close().catch(() => undefined);
}

/** The last lines of a log file, under a heading naming it; nothing when the file does not exist. */
function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return `\n--- ${file} (last ${lines} lines) ---\n${text}`;
}

/** A throwaway node this process started, for the 'exit' handler. */
interface LiveNode {
  pid: number;
  watchdogPid: number | undefined;
  dir: string;
}

const liveNodes = new Set<LiveNode>();
let exitHandlerInstalled = false;

/** Kills a node's whole process group (the rabbitmq-server shell, beam.smp, erl_child_setup); ignores errors. */
function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** On process exit (no async work possible): kill the nodes still running and remove their directories. */
function killLiveNodes(): void {
  for (const live of liveNodes) {
    killGroup(live.pid);
    if (live.watchdogPid !== undefined) killGroup(live.watchdogPid);
    rmSync(live.dir, { recursive: true, force: true });
  }
  liveNodes.clear();
}

/**
 * A watchdog for a test process that dies without running its 'exit' handlers (SIGKILL, a runner terminating its
 * worker): once that process is gone, it kills the node's process group and removes its directory. It ends by itself
 * when the node ends first (the test process then cleans up); stop() kills it.
 */
function startWatchdog(nodePid: number, dir: string): number | undefined {
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'if ! kill -0 "$1" 2>/dev/null; then kill -KILL -"$2" 2>/dev/null; rm -rf "$3"; fi';
  const watchdog = spawn(
    '/bin/sh',
    ['-c', script, 'scanplane-rabbit-watchdog', String(process.pid), String(nodePid), dir],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return watchdog.pid;
}

/** Environment variables of the caller that would redirect the node (RABBITMQ_*) are dropped. */
function nodeEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('RABBITMQ_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Starts a throwaway node (always, whatever AMQP_URL says). */
async function startThrowawayBroker(options: BrokerOptions): Promise<TestBroker> {
  const scripts = scriptsDirectory();
  const dir = mkdtempSync(join(tmpdir(), 'scanplane-rabbit-'));
  const node = `scanplane-${randomBytes(4).toString('hex')}@localhost`;
  const [port, distPort] = await freePorts();
  const url = `amqp://guest:guest@127.0.0.1:${port}`;

  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  // The node's Erlang cookie: HOME is the temp dir for both rabbitmq-server and rabbitmqctl.
  writeFileSync(join(dir, '.erlang.cookie'), randomBytes(15).toString('hex').toUpperCase(), { mode: 0o400 });
  // No plugins (the management plugin alone would add seconds to the start).
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  // Replaces /etc/rabbitmq/rabbitmq-env.conf, which names the shared node (NODENAME=rabbit@localhost).
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const config = [
    `listeners.tcp.default = 127.0.0.1:${port}`,
    // guest may connect from loopback only (the default, stated).
    'loopback_users.guest = true',
  ];
  const advanced = [`{quorum_tick_interval, ${QUORUM_TICK_MS}}`];
  if (options.consumerTimeoutMs !== undefined) {
    config.push(`consumer_timeout = ${Math.max(1, Math.round(options.consumerTimeoutMs))}`);
    advanced.push(`{channel_tick_interval, ${CONSUMER_TIMEOUT_TICK_MS}}`);
  }
  writeFileSync(join(dir, 'rabbitmq.conf'), `${config.join('\n')}\n`);
  writeFileSync(join(dir, 'advanced.config'), `[{rabbit, [${advanced.join(', ')}]}].\n`);

  const env = nodeEnvironment({
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    // epmd (shared, or started on loopback if none runs) and the distribution listener stay on loopback.
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  });

  let stopped = false;
  const ctl = async (args: string[]): Promise<string> => {
    if (stopped)
      throw new Error(`RabbitMQ node ${node} is stopped: rabbitmqctl ${args.join(' ')} cannot run`);
    try {
      const { stdout } = await execFile(join(scripts, 'rabbitmqctl'), ['-n', node, ...args], {
        cwd: dir,
        env,
        timeout: 60_000,
      });
      return stdout;
    } catch (error) {
      const { code, stderr, stdout } = error as { code?: unknown; stderr?: string; stdout?: string };
      const reason = typeof code === 'number' ? `exit code ${code}` : (error as Error).message.split('\n')[0];
      throw new Error(
        `rabbitmqctl -n ${node} ${args.join(' ')} failed (${reason}):\n${stderr ?? ''}${stdout ?? ''}`.trimEnd(),
      );
    }
  };

  // The node's stdout and stderr (the prelaunch phase, boot failures, crash reports) go to stdout.log; once
  // started, the node logs to log/<node>.log.
  const consoleLog = join(dir, 'stdout.log');
  const nodeLog = join(dir, 'log', `${node}.log`);
  const out = openSync(consoleLog, 'a');
  const child = spawn(join(scripts, 'rabbitmq-server'), [], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid;
  const live: LiveNode = { pid: pid ?? 0, watchdogPid: undefined, dir };
  if (pid !== undefined) {
    live.watchdogPid = startWatchdog(pid, dir);
    liveNodes.add(live);
    if (!exitHandlerInstalled) {
      exitHandlerInstalled = true;
      process.once('exit', killLiveNodes);
    }
  }

  /** Waits until the node accepts an AMQP connection (as guest), or fails with the tail of its log. */
  const waitUntilReady = async (what: string): Promise<void> => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError: unknown;
    while (!exited && Date.now() < deadline) {
      try {
        await amqpAnswers(url);
        return;
      } catch (error) {
        lastError = error;
      }
      await sleep(100);
    }
    const reason = exited
      ? 'the node exited'
      : `it did not accept AMQP connections within ${READY_TIMEOUT_MS / 1000} s (last error: ${(lastError as Error)?.message})`;
    throw new Error(
      `RabbitMQ node ${node} (${url}) ${what} failed: ${reason}.${tail(consoleLog)}${tail(nodeLog)}`,
    );
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        await ctl(['stop']).catch(() => undefined);
        await waitAtMost(exit, STOP_TIMEOUT_MS);
      }
      // Whatever is left of the group (a beam that ignored the stop, erl_child_setup) is killed.
      if (pid !== undefined) killGroup(pid);
      if (!exited) await waitAtMost(exit, 5000);
      if (live.watchdogPid !== undefined) killGroup(live.watchdogPid);
      liveNodes.delete(live);
      stopped = true;
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  if (pid === undefined) {
    await exit;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not run ${join(scripts, 'rabbitmq-server')}. ${INSTALL_HINT}`);
  }
  try {
    await waitUntilReady('start');
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    owned: true,
    node,
    async stopApp() {
      await ctl(['stop_app']);
    },
    async startApp() {
      await ctl(['start_app']);
      await waitUntilReady('start_app');
    },
    ctl,
    stop,
  };
}

/**
 * A broker for a test file: AMQP_URL's broker when it is set (checked to answer) and neither `own` nor
 * `consumerTimeoutMs` is given, else a throwaway node of its own (see the top of this file).
 *
 * @example
 * const broker = await startBroker({ own: true, consumerTimeoutMs: 2000 });
 * try {
 *   const connection = await amqplib.connect(broker.url);
 *   // ...
 *   await broker.stopApp(); // every connection drops
 *   await broker.startApp();
 *   console.log(await broker.ctl(['list_queues', 'name', 'messages']));
 * } finally {
 *   await broker.stop();
 * }
 */
export async function startBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const url = process.env.AMQP_URL;
  if (options.own === true || options.consumerTimeoutMs !== undefined || url === undefined || url === '') {
    return startThrowawayBroker(options);
  }
  try {
    await amqpAnswers(url);
  } catch (error) {
    throw new Error(
      `AMQP_URL (${url}) does not answer: ${(error as Error).message}. Start the broker ` +
        '(`rabbitmq-server -detached`) or unset AMQP_URL to let the tests start a throwaway node.',
    );
  }
  const notOwned = async (): Promise<never> => {
    throw new Error(
      'the AMQP_URL broker is not the test’s own: stopApp, startApp and ctl need an owned node ' +
        '(startBroker({ own: true }))',
    );
  };
  return {
    url,
    owned: false,
    stopApp: notOwned,
    startApp: notOwned,
    ctl: notOwned,
    stop: async () => undefined,
  };
}
