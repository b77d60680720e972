import {
  type HealthReport,
  isScanplaneError,
  type LaunchDescription,
  type LauncherCapabilities,
  type LauncherEvent,
  type LaunchResult,
  type LogLine,
  type PlatformEvent,
  ScanplaneError,
  type ScanTask,
  type TaskError,
  type TaskHandle,
  type TaskLauncher,
} from '@scanplane/core';
import type Docker from 'dockerode';
import { EventEmitter } from 'eventemitter3';
import { LABELS, ownerFilters } from './container-labels.js';
import { containerNameFor } from './container-name.js';
import { type ContainerSpecOptions, containerSpecFor, resourcesFor } from './container-spec.js';
import { dockerClient } from './docker-client.js';
import {
  daemonUnreachableError,
  dockerApiError,
  dockerMessage,
  imageMissingError,
  isUnreachable,
  nameClashError,
  statusOf,
} from './docker-errors.js';
import { type DockerContainerEvent, DockerEventStream } from './docker-event-stream.js';
import type { DockerLauncherOptions } from './docker-launcher-options.js';
import { exitEvent } from './exit-outcome.js';
import { FrameDemuxer, LineSplitter, outcomeLine, parseLogBuffer } from './log-lines.js';

/**
 * What one reconciliation found and did: every labelled container compared with what the launcher (and the store,
 * when given) knows, and the events that brings tasks up to date.
 *
 * @example
 * ```ts
 * import type { ReconcileReport } from '@scanplane/docker';
 * const line = (r: ReconcileReport) => `${r.containers} containers, ${r.ended.length} ended while unwatched`;
 * ```
 */
export interface ReconcileReport {
  /** Labelled containers of this owner seen on the daemon. */
  containers: number;
  /** Task ids reported `started` (running containers not yet reported). */
  started: string[];
  /** Task ids reported ended (`finished` or `failed`) from containers that exited. */
  ended: string[];
  /** Task ids the store has active on this launcher whose container no longer exists: reported `failed`. */
  vanished: string[];
  /** Containers created but never started (the launcher stopped mid-launch): removed, their task `failed`. */
  abandoned: string[];
}

/**
 * What one reaper pass removed.
 *
 * @example
 * ```ts
 * import type { ReapReport } from '@scanplane/docker';
 * const line = (r: ReapReport) => `${r.orphans.length} orphans, ${r.expired.length} old containers removed`;
 * ```
 */
export interface ReapReport {
  /** Containers whose task the store does not know, has ended, or launched again elsewhere: stopped and removed. */
  orphans: string[];
  /** Ended containers beyond the clean-up policy's `keep`: removed. */
  expired: string[];
}

/**
 * The Docker launcher's own typed events, for operations (the task events go through `onEvent`).
 *
 * @example
 * ```ts
 * import type { DockerLauncherEvents } from '@scanplane/docker';
 * type Removed = DockerLauncherEvents['container:removed'];
 * ```
 */
export interface DockerLauncherEvents {
  /** A container event of this owner arrived from the daemon. */
  'docker:event': [event: DockerContainerEvent];
  /** The event stream connected; `reconnect` after a lost connection (a reconciliation follows). */
  'stream:connected': [reconnect: boolean];
  /** The event stream was lost; it reconnects by itself. */
  'stream:disconnected': [error: Error];
  /** A reconciliation ran. */
  reconciled: [report: ReconcileReport];
  /** A container was removed (clean-up, stop, or reaper), with why. */
  'container:removed': [name: string, why: string];
  /** Something failed in the background (a reconciliation, a removal); the launcher carries on. */
  error: [error: Error];
}

/**
 * The Docker launcher: a `TaskLauncher` that runs each task in its own container, plus the operations a container
 * platform needs.
 *
 * @example
 * ```ts
 * import { createDockerLauncher } from '@scanplane/docker';
 * const launcher = createDockerLauncher({ image: 'scanplane-worker:dev', network: 'host' });
 * await launcher.checkImage();
 * const report = await launcher.reconcile();
 * console.log(`${report.containers} containers found`);
 * ```
 */
export interface DockerLauncher extends TaskLauncher {
  /** The dockerode client in use. */
  readonly docker: Docker;
  /** Where the daemon is (`unix:///var/run/docker.sock`), as messages name it. */
  readonly endpoint: string;
  /** Operational events: the stream's state, reconciliations, removals, background errors. */
  readonly events: EventEmitter<DockerLauncherEvents>;
  /**
   * Compares every labelled container of this owner with what the launcher knows and reports what was missed as
   * task events: running containers as `started`, exited ones as `finished`/`failed` (with their result and logs),
   * and, with a `store`, active tasks of this launcher whose container is gone as `failed`. Runs by itself when the
   * first `onEvent` listener subscribes and after every reconnect of the event stream.
   */
  reconcile(): Promise<ReconcileReport>;
  /** Removes orphans (with a `store`) and ended containers beyond the clean-up policy. Runs every `reapIntervalMs`. */
  reap(): Promise<ReapReport>;
  /**
   * Checks that the image is on the daemon.
   *
   * @throws `ScanplaneError` `NOT_FOUND` (reason `image-missing`, with how to build it) or `UNAVAILABLE`
   *   (reason `daemon-unreachable`).
   */
  checkImage(): Promise<void>;
  /** The container name the next attempt of a task gets. */
  containerName(task: ScanTask): string;
}

interface Run {
  name: string;
  taskId: string;
  handle: TaskHandle;
  container: Docker.Container;
  state: 'pending' | 'running' | 'stopped';
  lines: LogLine[];
  result?: { value: unknown };
  error?: unknown;
  oom: boolean;
  memoryMiB?: number;
  exitCode?: number;
  startedAt?: number;
  stoppedAt?: number;
  reason?: string;
  stopReason?: string;
  startReported: boolean;
  ending?: Promise<void>;
  attached?: Promise<void>;
  removed: boolean;
}

const LAUNCHER_NAME = 'docker';

const taskErrorOf = (error: ScanplaneError): TaskError => ({
  code: error.code,
  message: error.message,
  retryable: error.retryable,
  details: { ...error.details },
});

const dateMs = (text: string | undefined): number | undefined => {
  if (text === undefined || text.startsWith('0001-')) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
};

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });

/** Most task events kept for a listener that has not subscribed yet (see `onEvent`). */
const MAX_UNHEARD_EVENTS = 10_000;

/**
 * Creates the Docker launcher: one container per task, named `<prefix>_<organization or global>_<scan>_<short task
 * id>-<attempt>`, labelled with the task, attempt, project, kind, scan, organizations and owner, given its command
 * options in `SCANPLANE_COMMAND_OPTIONS` and only the environment named in `env` / `passEnv`, run with `--init`, the
 * scan's memory / CPU / pid limits and the chosen network. Output is attached before the container starts, so a
 * fast container loses none. The Docker event stream (`start`, `die`, `oom`) drives the task: exit 0 is `finished`
 * with the worker's `SCANPLANE_RESULT`, anything else `failed` with the exit code and the last lines of output, an
 * OOM kill named as such. The stream reconnects by itself, and every (re)connection reconciles the labelled
 * containers with what the launcher and the store know. `stop` sends SIGTERM, waits the grace period, kills, and
 * removes the container. Nothing is ever pulled: a missing image is a `NOT_FOUND` error saying how to build it.
 *
 * @example
 * ```ts
 * import { createMemoryStore, createOrchestrator } from '@scanplane/core';
 * import { createDockerLauncher } from '@scanplane/docker';
 *
 * const store = createMemoryStore();
 * const launcher = createDockerLauncher({ image: 'scanplane-worker:dev', network: 'host', store });
 * const orchestrator = createOrchestrator({ store, ledger: store, launcher, maxConcurrent: 8 });
 * orchestrator.start(); // subscribes to launcher events: the launcher reconciles, then follows the event stream
 * await orchestrator.submit('lab', ['127.0.0.1'], { ports: '22,80,443' });
 * ```
 */
export function createDockerLauncher(options: DockerLauncherOptions): DockerLauncher {
  if (typeof options.image !== 'string' || options.image === '') {
    throw new ScanplaneError('INVALID_ARGUMENT', 'createDockerLauncher needs an image', {
      component: 'docker',
    });
  }
  const { docker, endpoint } = dockerClient(options);
  const prefix = options.namePrefix ?? 'scanplane';
  const owner = options.owner ?? 'scanplane';
  const keep = Math.max(0, options.cleanup?.keep ?? 10);
  const logLimit = Math.max(1, options.logLines ?? 1000);
  const tailLines = Math.max(0, options.failureLogLines ?? 20);
  const keepEnded = Math.max(1, options.keepEnded ?? 1000);
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const launchConcurrency = Math.max(1, options.launchConcurrency ?? 8);
  const reapIntervalMs = options.reapIntervalMs ?? 60_000;
  const nameOf = options.containerName ?? ((task: ScanTask) => containerNameFor(task, prefix));
  const specOptions: ContainerSpecOptions = {
    image: options.image,
    owner,
    network: options.network ?? 'none',
    resources: options.resources ?? {},
    env: options.env ?? {},
    passEnv: options.passEnv ?? [],
    labels: options.labels ?? {},
    stopGraceMs,
    hostEnv: options.hostEnv ?? process.env,
  };
  if (options.user !== undefined) specOptions.user = options.user;
  const capabilities: LauncherCapabilities = { batchSize: 64, stop: true, logs: true, events: true };

  const runs = new Map<string, Run>(); // by container name
  const latestByTask = new Map<string, Run>();
  const ended: Run[] = []; // remembered for describe/logs, oldest first
  const retained: string[] = []; // ended containers still on the daemon, oldest first
  const taskEvents = new EventEmitter<{ event: [LauncherEvent] }>();
  const events = new EventEmitter<DockerLauncherEvents>();
  const stream = new DockerEventStream({
    docker,
    labels: ownerFilters(owner),
    actions: ['start', 'die', 'oom'],
  });
  let closed = false;
  let subscribed = false;
  let reaper: NodeJS.Timeout | undefined;
  const background = new Set<Promise<unknown>>();

  const report = (error: unknown): void => {
    if (events.listenerCount('error') > 0)
      events.emit('error', error instanceof Error ? error : new Error(String(error)));
  };
  const track = <T>(promise: Promise<T>): Promise<T> => {
    background.add(promise);
    void promise.finally(() => background.delete(promise)).catch(() => undefined);
    return promise;
  };

  /**
   * Task events that happened while nobody listened (a launch before the orchestrator subscribed, say), oldest
   * first: handed to the next listener, in order, before anything newer. Without them a container that ended before
   * the first `onEvent` left its task `requested` until the start timeout — the start-up reconciliation skips runs
   * this launcher already saw end.
   */
  const unheard: LauncherEvent[] = [];
  let flushing = false;
  const emitTask = (run: Run, event: PlatformEvent): void => {
    const taskEvent: LauncherEvent = { taskId: run.taskId, handle: run.handle, event };
    if (!flushing && taskEvents.listenerCount('event') > 0) {
      taskEvents.emit('event', taskEvent);
      return;
    }
    if (unheard.length >= MAX_UNHEARD_EVENTS) {
      const dropped = unheard.shift() as LauncherEvent;
      report(
        new Error(
          `${MAX_UNHEARD_EVENTS} task events are waiting for a listener (onEvent): dropped the oldest, ` +
            `${dropped.event.type} of task ${dropped.taskId}`,
        ),
      );
    }
    unheard.push(taskEvent);
  };
  /** Hands the events nobody heard to the listeners, once some listen (after the subscribing call returned). */
  const flushUnheard = (): void => {
    if (flushing || unheard.length === 0) return;
    flushing = true;
    queueMicrotask(() => {
      flushing = false;
      while (unheard.length > 0 && taskEvents.listenerCount('event') > 0)
        taskEvents.emit('event', unheard.shift() as LauncherEvent);
    });
  };

  const pushLine = (run: Run, line: LogLine): void => {
    const outcome = outcomeLine(line);
    if (outcome?.kind === 'result') run.result = { value: outcome.value };
    else if (outcome?.kind === 'error') run.error = outcome.value;
    run.lines.push(line);
    if (run.lines.length > logLimit) run.lines.splice(0, run.lines.length - logLimit);
  };

  const newRun = (name: string, taskId: string, container: Docker.Container, memoryMiB?: number): Run => {
    const run: Run = {
      name,
      taskId,
      handle: { launcher: LAUNCHER_NAME, id: name },
      container,
      state: 'pending',
      lines: [],
      oom: false,
      startReported: false,
      removed: false,
    };
    if (memoryMiB !== undefined) run.memoryMiB = memoryMiB;
    runs.set(name, run);
    latestByTask.set(taskId, run);
    return run;
  };

  /** A run for a container this process did not launch (found by events or reconciliation). */
  const adopt = (name: string, labels: Record<string, string>, memoryBytes?: number): Run | undefined => {
    const existing = runs.get(name);
    if (existing !== undefined) return existing;
    const taskId = labels[LABELS.taskId];
    if (taskId === undefined || labels[LABELS.owner] !== owner) return undefined;
    const memoryMiB =
      memoryBytes !== undefined && memoryBytes > 0 ? Math.round(memoryBytes / 1048576) : undefined;
    const run = newRun(name, taskId, docker.getContainer(name), memoryMiB);
    return run;
  };

  const reportStarted = (run: Run, at: number): void => {
    if (run.startReported) return;
    run.startReported = true;
    if (run.state === 'pending') run.state = 'running';
    run.startedAt ??= at;
    emitTask(run, { type: 'started', at, reason: `container ${run.name} started` });
  };

  /** Attaches to a created container's output before it starts. */
  const attach = async (run: Run): Promise<void> => {
    const output = (await run.container.attach({
      stream: true,
      stdout: true,
      stderr: true,
      logs: true,
    })) as NodeJS.ReadableStream;
    const splitter = new LineSplitter((streamName, text) =>
      pushLine(run, { at: Date.now(), stream: streamName, text }),
    );
    const demuxer = new FrameDemuxer((streamName, data) => splitter.push(streamName, data));
    run.attached = new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        splitter.flush();
        resolve();
      };
      output.on('data', (chunk: Buffer) => demuxer.push(chunk));
      output.on('end', finish);
      output.on('close', finish);
      output.on('error', finish);
    });
  };

  /** Reads a container's output from the daemon (for containers this process did not attach to). */
  const readLogs = async (container: Docker.Container, tail?: number): Promise<LogLine[]> => {
    const buffer = (await container.logs({
      follow: false,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(tail === undefined ? {} : { tail }),
    })) as unknown as Buffer;
    return parseLogBuffer(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)), Date.now());
  };

  const removeContainer = async (run: Run | undefined, name: string, why: string): Promise<void> => {
    try {
      await docker.getContainer(name).remove({ force: true });
      events.emit('container:removed', name, why);
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 409) report(error);
    }
    if (run !== undefined) run.removed = true;
  };

  /** Keeps the last `keepEnded` runs in memory and the last `keep` ended containers on the daemon. */
  const retire = async (run: Run): Promise<void> => {
    ended.push(run);
    while (ended.length > keepEnded) {
      const old = ended.shift() as Run;
      runs.delete(old.name);
      if (latestByTask.get(old.taskId) === old) latestByTask.delete(old.taskId);
    }
    if (run.stopReason !== undefined) {
      await removeContainer(run, run.name, `stopped: ${run.stopReason}`);
      return;
    }
    retained.push(run.name);
    while (retained.length > keep) {
      const name = retained.shift() as string;
      await removeContainer(runs.get(name), name, `clean-up: more than ${keep} ended containers kept`);
    }
  };

  /** Collects an ended container's exit state and output, reports its end once, then cleans up. */
  const finish = (run: Run, hint: { exitCode?: number; at?: number } = {}): Promise<void> => {
    run.ending ??= (async () => {
      // The attach stream ends when the container's output is drained: wait for it (bounded), instead of
      // Crossfeed's one-second sleep, so the last lines and the result line are in.
      if (run.attached !== undefined) await Promise.race([run.attached, sleep(5000)]);
      let state: Docker.ContainerInspectInfo['State'] | undefined;
      let memory: number | undefined;
      // A clean exit seen by the event stream, fully collected: nothing left to ask the daemon (an OOM kill never
      // exits 0). Anything else is inspected for its exit state, OOM flag and times.
      const clean =
        hint.exitCode === 0 &&
        run.attached !== undefined &&
        run.result !== undefined &&
        run.stopReason === undefined;
      if (!clean) {
        try {
          const info = await run.container.inspect();
          state = info.State;
          memory = info.HostConfig?.Memory;
        } catch (error) {
          if (statusOf(error) !== 404) report(error);
        }
      }
      // Not attached (a container this process did not launch), or the attach stream broke before the result or
      // error line came (a lost connection): the daemon's own log has every line.
      if (
        !run.removed &&
        (run.attached === undefined || (run.result === undefined && run.error === undefined))
      ) {
        try {
          const lines = await readLogs(run.container, logLimit);
          run.lines = [];
          for (const line of lines) pushLine(run, line);
        } catch (error) {
          if (statusOf(error) !== 404) report(error);
        }
      }
      const exitCode = state?.ExitCode ?? hint.exitCode ?? -1;
      const stoppedAt = dateMs(state?.FinishedAt) ?? hint.at ?? Date.now();
      if (state?.OOMKilled === true) run.oom = true;
      if (run.memoryMiB === undefined && memory !== undefined && memory > 0)
        run.memoryMiB = Math.round(memory / 1048576);
      reportStarted(run, dateMs(state?.StartedAt) ?? stoppedAt);
      run.state = 'stopped';
      run.exitCode = exitCode;
      run.stoppedAt = stoppedAt;
      const event = exitEvent({
        container: run.name,
        exitCode,
        oomKilled: run.oom,
        ...(run.stopReason === undefined ? {} : { stopReason: run.stopReason }),
        ...(run.result === undefined ? {} : { result: run.result }),
        ...(run.error === undefined ? {} : { error: run.error }),
        tail: tailLines === 0 ? [] : run.lines.slice(-tailLines),
        ...(run.memoryMiB === undefined ? {} : { memoryMiB: run.memoryMiB }),
        at: stoppedAt,
      });
      run.reason = event.reason;
      emitTask(run, event);
      await retire(run);
    })();
    return run.ending;
  };

  const onDockerEvent = (event: DockerContainerEvent): void => {
    events.emit('docker:event', event);
    if (event.attributes[LABELS.role] !== undefined && event.attributes[LABELS.role] !== 'task') return;
    const run = adopt(event.name, event.attributes);
    if (run === undefined) return;
    if (event.action === 'start') reportStarted(run, event.at);
    else if (event.action === 'oom') run.oom = true;
    else if (event.action === 'die') {
      const exitCode = Number(event.attributes['exitCode']);
      void track(finish(run, { exitCode: Number.isNaN(exitCode) ? -1 : exitCode, at: event.at })).catch(
        report,
      );
    }
  };

  stream.on('event', onDockerEvent);
  stream.on('connected', (reconnect) => {
    events.emit('stream:connected', reconnect);
    if (reconnect && subscribed) void track(reconcile()).catch(report);
  });
  stream.on('disconnected', (error) => events.emit('stream:disconnected', error));

  const listOwned = async (): Promise<Docker.ContainerInfo[]> =>
    docker.listContainers({ all: true, filters: { label: ownerFilters(owner, 'task') } });

  const reconcile = async (): Promise<ReconcileReport> => {
    const result: ReconcileReport = { containers: 0, started: [], ended: [], vanished: [], abandoned: [] };
    let containers: Docker.ContainerInfo[];
    try {
      containers = await listOwned();
    } catch (error) {
      throw isUnreachable(error)
        ? daemonUnreachableError(endpoint, error)
        : dockerApiError('listing containers', endpoint, error);
    }
    result.containers = containers.length;
    const seen = new Set<string>();
    const endings: Promise<void>[] = [];
    for (const info of containers) {
      const name = (info.Names[0] ?? '').replace(/^\//, '');
      seen.add(name);
      const known = runs.get(name);
      if (known?.ending !== undefined) continue;
      const run = adopt(name, info.Labels);
      if (run === undefined) continue;
      if (info.State === 'running' || info.State === 'paused' || info.State === 'restarting') {
        if (!run.startReported) {
          reportStarted(run, info.Created * 1000);
          result.started.push(run.taskId);
        }
      } else if (info.State === 'exited' || info.State === 'dead') {
        result.ended.push(run.taskId);
        endings.push(finish(run));
      } else if (info.State === 'created' && known === undefined) {
        // Created by a launcher that stopped before starting it: nothing ran. Free the name; the task may retry.
        result.abandoned.push(run.taskId);
        run.state = 'stopped';
        run.stoppedAt = Date.now();
        run.reason = `container ${name} was created but never started (its launcher stopped during the launch)`;
        run.ending = Promise.resolve();
        emitTask(run, {
          type: 'failed',
          at: run.stoppedAt,
          reason: run.reason,
          error: {
            code: 'LAUNCH_FAILED',
            message: run.reason,
            retryable: true,
            details: { container: name },
          },
        });
        endings.push(removeContainer(run, name, 'never started'));
      }
    }
    await Promise.all(endings);
    if (options.store !== undefined) {
      const active = await options.store.list({ status: ['requested', 'started'] });
      for (const task of active) {
        const handle = task.handle;
        if (handle?.launcher !== LAUNCHER_NAME || seen.has(handle.id)) continue;
        if (!handle.id.startsWith(`${prefix}_`) && options.containerName === undefined) continue;
        const known = runs.get(handle.id);
        if (known !== undefined && (known.state !== 'stopped' || known.ending !== undefined)) continue;
        // The daemon has no such container: it was removed while no launcher watched. Its outcome is unknown.
        const run = known ?? newRun(handle.id, task.id, docker.getContainer(handle.id));
        run.state = 'stopped';
        run.stoppedAt = Date.now();
        run.reason = `container ${handle.id} no longer exists on ${endpoint}: removed while no launcher watched it`;
        run.ending = Promise.resolve();
        run.removed = true;
        result.vanished.push(task.id);
        emitTask(run, {
          type: 'failed',
          at: run.stoppedAt,
          reason: run.reason,
          error: {
            code: 'TASK_FAILED',
            message: run.reason,
            retryable: true,
            details: { container: handle.id },
          },
        });
      }
    }
    events.emit('reconciled', result);
    return result;
  };

  const reap = async (): Promise<ReapReport> => {
    const result: ReapReport = { orphans: [], expired: [] };
    const containers = await listOwned();
    const exited: Array<{ name: string; finished: number }> = [];
    for (const info of containers) {
      const name = (info.Names[0] ?? '').replace(/^\//, '');
      const taskId = info.Labels[LABELS.taskId];
      const run = runs.get(name);
      if (options.store !== undefined && taskId !== undefined && run?.ending === undefined) {
        const task = await options.store.get(taskId);
        const orphan =
          task === undefined ||
          task.status === 'finished' ||
          task.status === 'failed' ||
          task.status === 'cancelled' ||
          (task.handle !== undefined && task.handle.id !== name);
        if (orphan && info.State !== 'exited' && info.State !== 'dead') {
          const why =
            task === undefined
              ? 'its task is unknown'
              : task.handle?.id !== name
                ? 'its task runs elsewhere'
                : `its task is ${task.status}`;
          try {
            await docker.getContainer(name).stop({ t: Math.max(1, Math.ceil(stopGraceMs / 1000)) });
          } catch (error) {
            if (statusOf(error) !== 304 && statusOf(error) !== 404) report(error);
          }
          await removeContainer(run, name, `orphan: ${why}`);
          result.orphans.push(name);
          continue;
        }
      }
      if (info.State === 'exited' || info.State === 'dead') exited.push({ name, finished: info.Created });
    }
    // Retention across restarts: keep the newest `keep` ended containers (those still being collected excepted).
    exited.sort((a, b) => b.finished - a.finished);
    for (const { name } of exited.slice(keep)) {
      const run = runs.get(name);
      if (run !== undefined && (run.ending === undefined || run.state !== 'stopped')) continue;
      await removeContainer(run, name, `clean-up: more than ${keep} ended containers kept`);
      const at = retained.indexOf(name);
      if (at >= 0) retained.splice(at, 1);
      result.expired.push(name);
    }
    return result;
  };

  const launchOne = async (task: ScanTask): Promise<LaunchResult> => {
    const fail = (error: ScanplaneError): LaunchResult => ({
      taskId: task.id,
      ok: false,
      error: taskErrorOf(error),
    });
    if (closed) {
      return fail(
        new ScanplaneError('UNAVAILABLE', 'the Docker launcher is closed', { component: 'docker' }),
      );
    }
    const current = latestByTask.get(task.id);
    if (current !== undefined && current.state !== 'stopped' && current.stopReason === undefined) {
      return { taskId: task.id, ok: true, handle: current.handle };
    }
    const name = nameOf(task);
    let spec: Docker.ContainerCreateOptions;
    try {
      spec = containerSpecFor(task, name, specOptions);
    } catch (error) {
      if (isScanplaneError(error)) return fail(error);
      throw error;
    }
    let container: Docker.Container;
    try {
      container = await docker.createContainer(spec);
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 && /image/i.test(dockerMessage(error)))
        return fail(imageMissingError(options.image, endpoint, error));
      if (status === 409) return adoptExisting(task, name, error);
      return fail(dockerApiError(`creating container ${name}`, endpoint, error));
    }
    const run = newRun(name, task.id, container, resourcesFor(task, specOptions.resources).memoryMiB);
    try {
      await attach(run);
      await container.start();
      if (run.state === 'pending') run.state = 'running';
    } catch (error) {
      runs.delete(name);
      if (latestByTask.get(task.id) === run) latestByTask.delete(task.id);
      await container.remove({ force: true }).catch(() => undefined);
      return fail(dockerApiError(`starting container ${name}`, endpoint, error));
    }
    return { taskId: task.id, ok: true, handle: run.handle };
  };

  /** A name clash: the same launch done before (idempotent), or another container holding the name (an error). */
  const adoptExisting = async (task: ScanTask, name: string, cause: unknown): Promise<LaunchResult> => {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await docker.getContainer(name).inspect();
    } catch {
      return {
        taskId: task.id,
        ok: false,
        error: taskErrorOf(dockerApiError(`creating container ${name}`, endpoint, cause)),
      };
    }
    const labels = info.Config.Labels ?? {};
    if (
      labels[LABELS.taskId] === task.id &&
      labels[LABELS.owner] === owner &&
      labels[LABELS.attempt] === String(task.attempt + 1)
    ) {
      const run = adopt(name, labels, info.HostConfig?.Memory);
      if (run !== undefined) {
        if (info.State.Status === 'created') {
          try {
            await attach(run);
            await run.container.start();
          } catch (error) {
            return {
              taskId: task.id,
              ok: false,
              error: taskErrorOf(dockerApiError(`starting container ${name}`, endpoint, error)),
            };
          }
        }
        return { taskId: task.id, ok: true, handle: run.handle };
      }
    }
    const holder =
      labels[LABELS.taskId] === undefined
        ? 'a container scanplane does not manage'
        : `task ${labels[LABELS.taskId]} (attempt ${labels[LABELS.attempt] ?? '?'}, owner ${labels[LABELS.owner] ?? '?'})`;
    return { taskId: task.id, ok: false, error: taskErrorOf(nameClashError(name, holder, endpoint)) };
  };

  const describeOne = async (handle: TaskHandle): Promise<LaunchDescription> => {
    const run = runs.get(handle.id);
    // An ending container is being collected (and maybe removed): wait for that, then answer from what it found.
    if (run?.ending !== undefined) await run.ending.catch(() => undefined);
    if (run?.state === 'stopped' && (run.removed || run.ending !== undefined)) {
      return describeRun(handle, run);
    }
    try {
      const info = await docker.getContainer(handle.id).inspect();
      const labels = info.Config.Labels ?? {};
      const status = info.State.Status;
      const state: LaunchDescription['state'] =
        status === 'created'
          ? 'pending'
          : status === 'exited' || status === 'dead' || status === 'removing'
            ? 'stopped'
            : 'running';
      const description: LaunchDescription = { handle, state };
      const taskId = labels[LABELS.taskId];
      if (taskId !== undefined) description.taskId = taskId;
      const startedAt = dateMs(info.State.StartedAt);
      if (startedAt !== undefined) description.startedAt = startedAt;
      if (state === 'stopped') {
        description.exitCode = info.State.ExitCode;
        const stoppedAt = dateMs(info.State.FinishedAt);
        if (stoppedAt !== undefined) description.stoppedAt = stoppedAt;
        description.reason =
          run?.reason ??
          (info.State.OOMKilled
            ? 'killed for running out of memory'
            : `exited with code ${info.State.ExitCode}`);
      }
      return description;
    } catch (error) {
      if (statusOf(error) !== 404) throw dockerApiError(`inspecting container ${handle.id}`, endpoint, error);
      return run === undefined ? { handle, state: 'missing' } : describeRun(handle, run);
    }
  };

  const describeRun = (handle: TaskHandle, run: Run): LaunchDescription => {
    const description: LaunchDescription = { handle, taskId: run.taskId, state: run.state };
    if (run.exitCode !== undefined) description.exitCode = run.exitCode;
    if (run.startedAt !== undefined) description.startedAt = run.startedAt;
    if (run.stoppedAt !== undefined) description.stoppedAt = run.stoppedAt;
    if (run.reason !== undefined) description.reason = run.reason;
    return description;
  };

  const launcher: DockerLauncher = {
    name: LAUNCHER_NAME,
    capabilities,
    docker,
    endpoint,
    events,

    async launch(tasks) {
      stream.start();
      // Watch before launching, so no `start` or `die` is missed (a reconnect reconciles anyway).
      await stream.whenConnected(2000);
      const results: LaunchResult[] = new Array(tasks.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < tasks.length) {
          const index = next++;
          const task = tasks[index] as ScanTask;
          results[index] = await launchOne(task);
        }
      };
      await Promise.all(Array.from({ length: Math.min(launchConcurrency, tasks.length) }, worker));
      return results;
    },

    async stop(handle, { reason, graceMs }) {
      const grace = graceMs ?? stopGraceMs;
      let run = runs.get(handle.id);
      if (run?.ending !== undefined) {
        await run.ending;
        return;
      }
      if (run === undefined) {
        let info: Docker.ContainerInspectInfo;
        try {
          info = await docker.getContainer(handle.id).inspect();
        } catch (error) {
          if (statusOf(error) === 404) return; // gone already: nothing to stop
          throw dockerApiError(`inspecting container ${handle.id}`, endpoint, error);
        }
        run = adopt(handle.id, info.Config.Labels ?? {}, info.HostConfig?.Memory);
        if (run === undefined) return; // not a container of this launcher's owner: leave it alone
      }
      run.stopReason ??= reason;
      try {
        // SIGTERM, then SIGKILL after the grace period: the daemon does both, and returns once it is stopped.
        await run.container.stop({ t: Math.max(0, Math.ceil(grace / 1000)) });
      } catch (error) {
        const status = statusOf(error);
        if (status !== 304 && status !== 404)
          throw dockerApiError(`stopping container ${handle.id}`, endpoint, error);
      }
      await finish(run);
    },

    async describe(handles) {
      return Promise.all(handles.map((handle) => describeOne(handle)));
    },

    async logs(handle, logOptions = {}) {
      const run = runs.get(handle.id);
      // An ending container is being collected (and maybe removed): wait for that, then answer consistently.
      if (run?.ending !== undefined) await run.ending.catch(() => undefined);
      if (run?.removed === true) {
        // The container is gone: what was collected before it was removed.
        return logOptions.tail === undefined ? [...run.lines] : run.lines.slice(-logOptions.tail);
      }
      try {
        return await readLogs(docker.getContainer(handle.id), logOptions.tail);
      } catch (error) {
        if (run !== undefined)
          return logOptions.tail === undefined ? [...run.lines] : run.lines.slice(-logOptions.tail);
        if (statusOf(error) === 404) return [];
        throw dockerApiError(`reading the logs of ${handle.id}`, endpoint, error);
      }
    },

    async running() {
      try {
        const list = await docker.listContainers({
          filters: { label: ownerFilters(owner, 'task'), status: ['running'] },
        });
        return list.length;
      } catch (error) {
        throw dockerApiError('counting running containers', endpoint, error);
      }
    },

    onEvent(listener) {
      taskEvents.on('event', listener);
      flushUnheard();
      stream.start();
      if (!subscribed) {
        subscribed = true;
        // The start-up reconciliation: after this listener is in place, so it receives what was missed.
        setImmediate(() => void track(reconcile()).catch(report));
        if (reapIntervalMs > 0) {
          reaper = setInterval(() => void track(reap()).catch(report), reapIntervalMs);
          reaper.unref?.();
        }
      }
      return () => {
        taskEvents.off('event', listener);
      };
    },

    async health(): Promise<HealthReport> {
      const started = Date.now();
      try {
        const version = await docker.version();
        let image = 'present';
        let ok = true;
        try {
          await docker.getImage(options.image).inspect();
        } catch (error) {
          ok = false;
          image =
            statusOf(error) === 404
              ? imageMissingError(options.image, endpoint).message
              : dockerMessage(error);
        }
        const running = await launcher.running();
        return {
          ok: ok && !closed,
          component: 'launcher',
          detail: closed
            ? 'docker launcher is closed'
            : `docker ${version.Version} (API ${version.ApiVersion}) at ${endpoint}: ${running} running, event stream ${stream.connected ? 'connected' : 'not connected'}, image ${options.image}: ${image}`,
          latencyMs: Date.now() - started,
        };
      } catch (error) {
        return {
          ok: false,
          component: 'launcher',
          detail: isUnreachable(error)
            ? daemonUnreachableError(endpoint, error).message
            : dockerMessage(error),
          latencyMs: Date.now() - started,
        };
      }
    },

    async checkImage() {
      try {
        await docker.getImage(options.image).inspect();
      } catch (error) {
        if (statusOf(error) === 404) throw imageMissingError(options.image, endpoint, error);
        if (isUnreachable(error)) throw daemonUnreachableError(endpoint, error);
        throw dockerApiError(`inspecting image ${options.image}`, endpoint, error);
      }
    },

    containerName: nameOf,

    reconcile,
    reap,

    async close() {
      if (closed) return;
      closed = true;
      if (reaper !== undefined) clearInterval(reaper);
      stream.close();
      await Promise.allSettled([...background]);
      taskEvents.removeAllListeners();
    },
  };
  return launcher;
}
