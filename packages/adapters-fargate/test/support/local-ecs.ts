// A local ECS (and CloudWatch Logs) endpoint for the tests and the benchmark: it speaks the AWS JSON 1.1 protocol the
// real SDK uses (X-Amz-Target `AmazonEC2ContainerServiceV20141113.<Operation>` / `Logs_20140328.GetLogEvents`,
// content type application/x-amz-json-1.1, errors as HTTP 400 with `__type`), moves tasks through their states
// (PROVISIONING → PENDING → RUNNING → DEPROVISIONING → STOPPED, each change a new `version`), publishes EventBridge
// "ECS Task State Change" events shaped like AWS's, and can inject throttling (a token bucket on RunTask), server
// errors, lost responses, capacity failures, partial failures and duplicated, reordered or dropped events.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
export const CAPACITY_REASON =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone';

/** What a simulated task does once RUNNING. */
export type TaskPlan =
  | { kind: 'exit'; exitCode: number; runMs?: number; logs?: string[] }
  | { kind: 'hang'; logs?: string[] }
  | { kind: 'start-failure'; reason: string }
  | { kind: 'interrupt'; stopCode: 'SpotInterruption' | 'TerminationNotice'; runMs?: number }
  | { kind: 'run'; run: (task: LocalTask) => Promise<{ exitCode: number; logs?: string[] }> };

export interface LocalTask {
  arn: string;
  id: string;
  cluster: string;
  taskDefinitionArn: string;
  startedBy?: string;
  group?: string;
  lastStatus: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  version: number;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  exitCode?: number;
  containerName: string;
  overrides: Record<string, unknown>;
  environment: Record<string, string>;
  tags: Array<{ key: string; value: string }>;
  cpu?: string;
  memory?: string;
  clientToken?: string;
  logs: Array<{ timestamp: number; message: string }>;
  plan: TaskPlan;
}

/** The EventBridge event the endpoint publishes. */
export interface PublishedEvent {
  version: '0';
  id: string;
  'detail-type': 'ECS Task State Change';
  source: 'aws.ecs';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown> & { taskArn: string; lastStatus: string; version: number };
}

export interface LocalEcsOptions {
  /** RunTask's token bucket: calls per second and burst. Default: no limit. */
  runTaskRate?: { perSecond: number; burst: number };
  /** Milliseconds between state changes. Default 5. */
  stepMs?: number;
  /** The log group and stream prefix the task definition's awslogs driver uses. */
  logGroup?: { name: string; streamPrefix: string };
  /** GetLogEvents page size. Default 2 (so tests cross pages). */
  logPageSize?: number;
  /** What a task does: default reads `arguments.behaviour` of its command options (succeed, fail, hang). */
  plan?: (task: LocalTask) => TaskPlan;
  /**
   * How an event reaches subscribers: default at once (asynchronously). Tests hold, duplicate, reorder or drop.
   */
  deliver?: (event: PublishedEvent, send: (event: PublishedEvent) => void) => void;
}

type Fault = 'throttle' | 'server-error' | 'lose-response';

export interface LocalEcs {
  readonly endpoint: string;
  /** SDK client configuration pointing at this endpoint. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  readonly tasks: Map<string, LocalTask>;
  readonly stats: {
    runTaskCalls: number;
    runTaskThrottled: number;
    tasksCreated: number;
    listTasksCalls: number;
    describeTasksCalls: number;
    stopTaskCalls: number;
    getLogEventsCalls: number;
    /** Tasks created per `SCANPLANE_TASK_ID`. */
    launchesByTaskId: Map<string, number>;
  };
  /** Faults for the next RunTask calls, in order. */
  injectRunTask(...faults: Fault[]): void;
  /** The next `count` tasks asked for fail with `reason` in `failures[]` (partial failures in a multi-task call). */
  failNextTasks(count: number, reason?: string): void;
  /** Subscribes to published events. */
  onEvent(listener: (event: PublishedEvent) => void): () => void;
  /** Every event published so far. */
  readonly published: PublishedEvent[];
  /** Creates a RUNNING task not started by the launcher under test. */
  createForeignTask(startedBy: string): LocalTask;
  close(): Promise<void>;
}

const defaultPlan = (task: LocalTask): TaskPlan => {
  let behaviour = 'succeed';
  try {
    const options = JSON.parse(task.environment['SCANPLANE_COMMAND_OPTIONS'] ?? '{}') as {
      arguments?: { behaviour?: string };
    };
    behaviour = options.arguments?.behaviour ?? 'succeed';
  } catch {
    behaviour = 'succeed';
  }
  const line = `conformance: ${behaviour}`;
  if (behaviour === 'hang') return { kind: 'hang', logs: [line] };
  if (behaviour === 'fail')
    return {
      kind: 'exit',
      exitCode: 1,
      logs: [line, 'SCANPLANE_ERROR {"code":"TASK_FAILED","message":"asked to fail"}'],
    };
  if (behaviour === 'capacity') return { kind: 'start-failure', reason: CAPACITY_REASON };
  if (behaviour === 'spot') return { kind: 'interrupt', stopCode: 'SpotInterruption' };
  return { kind: 'exit', exitCode: 0, logs: [line, 'working', 'SCANPLANE_RESULT {"ok":true}'] };
};

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startLocalEcs(options: LocalEcsOptions = {}): Promise<LocalEcs> {
  const stepMs = options.stepMs ?? 5;
  const pageSize = options.logPageSize ?? 2;
  const tasks = new Map<string, LocalTask>();
  const order: LocalTask[] = [];
  const byToken = new Map<string, { tasks: string[]; failures: unknown[] }>();
  const faults: Fault[] = [];
  let failTasks: { count: number; reason: string } = { count: 0, reason: CAPACITY_REASON };
  const listeners = new Set<(event: PublishedEvent) => void>();
  const published: PublishedEvent[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const stats: LocalEcs['stats'] = {
    runTaskCalls: 0,
    runTaskThrottled: 0,
    tasksCreated: 0,
    listTasksCalls: 0,
    describeTasksCalls: 0,
    stopTaskCalls: 0,
    getLogEventsCalls: 0,
    launchesByTaskId: new Map(),
  };
  let bucket = options.runTaskRate?.burst ?? 0;
  let bucketAt = performance.now();
  let closed = false;

  const later = (ms: number, fn: () => void): void => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) fn();
    }, ms);
    timers.add(timer);
  };

  const send = (event: PublishedEvent): void => {
    for (const listener of [...listeners]) listener(event);
  };

  const iso = (ms: number | undefined): string | undefined =>
    ms === undefined ? undefined : new Date(ms).toISOString();

  const publish = (task: LocalTask): void => {
    const event: PublishedEvent = {
      version: '0',
      id: randomBytes(16).toString('hex'),
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [task.arn],
      detail: JSON.parse(
        JSON.stringify({
          attachments: [],
          availabilityZone: `${REGION}a`,
          clusterArn: task.cluster,
          containers: [
            {
              containerArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container/${task.id}/worker`,
              lastStatus: task.lastStatus === 'STOPPED' ? 'STOPPED' : task.startedAt ? 'RUNNING' : 'PENDING',
              name: task.containerName,
              taskArn: task.arn,
              exitCode: task.exitCode,
            },
          ],
          createdAt: iso(task.createdAt),
          launchType: 'FARGATE',
          cpu: task.cpu ?? '256',
          memory: task.memory ?? '512',
          desiredStatus: task.desiredStatus,
          group: task.group,
          lastStatus: task.lastStatus,
          overrides: task.overrides,
          startedAt: iso(task.startedAt),
          startedBy: task.startedBy,
          stopCode: task.stopCode,
          stoppedAt: iso(task.stoppedAt),
          stoppedReason: task.stoppedReason,
          updatedAt: new Date().toISOString(),
          taskArn: task.arn,
          taskDefinitionArn: task.taskDefinitionArn,
          version: task.version,
          platformVersion: '1.4.0',
        }),
      ),
    };
    published.push(event);
    const deliver = options.deliver ?? ((value, out) => setImmediate(() => out(value)));
    deliver(event, send);
  };

  const change = (task: LocalTask, patch: Partial<LocalTask>): void => {
    if (task.lastStatus === 'STOPPED') return;
    Object.assign(task, patch);
    task.version++;
    publish(task);
  };

  const stopTask = (task: LocalTask, patch: Partial<LocalTask>): void => {
    if (task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED') return;
    const ran = task.startedAt !== undefined;
    change(task, { desiredStatus: 'STOPPED', lastStatus: ran ? 'DEPROVISIONING' : task.lastStatus });
    later(stepMs, () =>
      change(task, {
        lastStatus: 'STOPPED',
        stoppedAt: Date.now(),
        ...patch,
        ...(ran ? {} : { exitCode: undefined }),
      }),
    );
  };

  const writeLogs = (task: LocalTask, lines: readonly string[] | undefined): void => {
    for (const message of lines ?? []) task.logs.push({ timestamp: Date.now(), message });
  };

  const runPlan = (task: LocalTask): void => {
    const plan = task.plan;
    if (plan.kind === 'start-failure') {
      later(stepMs, () => stopTask(task, { stopCode: 'TaskFailedToStart', stoppedReason: plan.reason }));
      return;
    }
    later(stepMs, () => {
      if (task.desiredStatus === 'STOPPED') return;
      change(task, { lastStatus: 'RUNNING', startedAt: Date.now() });
      if (plan.kind === 'hang') writeLogs(task, plan.logs);
      else if (plan.kind === 'exit') {
        writeLogs(task, plan.logs);
        later(plan.runMs ?? stepMs, () =>
          stopTask(task, {
            exitCode: plan.exitCode,
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
          }),
        );
      } else if (plan.kind === 'interrupt') {
        later(plan.runMs ?? stepMs, () =>
          stopTask(task, { stopCode: plan.stopCode, stoppedReason: 'Your Spot Task was interrupted.' }),
        );
      } else if (plan.kind === 'run') {
        void plan.run(task).then(({ exitCode, logs }) => {
          writeLogs(task, logs);
          stopTask(task, {
            exitCode,
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
          });
        });
      }
    });
  };

  const taskShape = (task: LocalTask, withTags: boolean): Record<string, unknown> => ({
    taskArn: task.arn,
    clusterArn: task.cluster,
    taskDefinitionArn: task.taskDefinitionArn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    launchType: 'FARGATE',
    version: task.version,
    createdAt: task.createdAt / 1000,
    ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt / 1000 }),
    ...(task.stoppedAt === undefined ? {} : { stoppedAt: task.stoppedAt / 1000 }),
    ...(task.stopCode === undefined ? {} : { stopCode: task.stopCode }),
    ...(task.stoppedReason === undefined ? {} : { stoppedReason: task.stoppedReason }),
    ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
    cpu: task.cpu ?? '256',
    memory: task.memory ?? '512',
    overrides: task.overrides,
    containers: [
      {
        name: task.containerName,
        lastStatus: task.lastStatus === 'STOPPED' ? 'STOPPED' : task.startedAt ? 'RUNNING' : 'PENDING',
        ...(task.exitCode === undefined ? {} : { exitCode: task.exitCode }),
        taskArn: task.arn,
      },
    ],
    ...(withTags ? { tags: task.tags } : {}),
  });

  const clusterArn = (name: string): string =>
    name.startsWith('arn:') ? name : `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`;

  const newTask = (input: Record<string, unknown>, cluster: string): LocalTask => {
    const id = randomBytes(16).toString('hex');
    const overrides = (input['overrides'] as Record<string, unknown> | undefined) ?? {};
    const containerOverrides =
      (overrides['containerOverrides'] as Array<{
        name?: string;
        environment?: Array<{ name: string; value: string }>;
      }>) ?? [];
    const environment: Record<string, string> = {};
    for (const pair of containerOverrides[0]?.environment ?? []) environment[pair.name] = pair.value;
    const task: LocalTask = {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster.split('/').pop()}/${id}`,
      id,
      cluster: clusterArn(cluster),
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${String(input['taskDefinition'])}`,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      version: 1,
      createdAt: Date.now(),
      containerName: containerOverrides[0]?.name ?? 'worker',
      overrides,
      environment,
      tags: (input['tags'] as Array<{ key: string; value: string }>) ?? [],
      logs: [],
      plan: { kind: 'hang' },
    };
    if (typeof input['startedBy'] === 'string') task.startedBy = input['startedBy'];
    if (typeof overrides['cpu'] === 'string') task.cpu = overrides['cpu'];
    if (typeof overrides['memory'] === 'string') task.memory = overrides['memory'];
    task.plan = (options.plan ?? defaultPlan)(task);
    tasks.set(task.arn, task);
    order.push(task);
    stats.tasksCreated++;
    const scanTaskId = environment['SCANPLANE_TASK_ID'];
    if (scanTaskId !== undefined)
      stats.launchesByTaskId.set(scanTaskId, (stats.launchesByTaskId.get(scanTaskId) ?? 0) + 1);
    publish(task);
    later(stepMs, () => {
      change(task, { lastStatus: 'PENDING' });
      runPlan(task);
    });
    return task;
  };

  const findTask = (ref: string): LocalTask | undefined =>
    tasks.get(ref) ?? order.find((task) => task.id === ref || task.arn.endsWith(`/${ref}`));

  const takeToken = (): boolean => {
    const rate = options.runTaskRate;
    if (rate === undefined) return true;
    const at = performance.now();
    bucket = Math.min(rate.burst, bucket + ((at - bucketAt) * rate.perSecond) / 1000);
    bucketAt = at;
    if (bucket < 1) return false;
    bucket -= 1;
    return true;
  };

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    RunTask(input) {
      stats.runTaskCalls++;
      const fault = faults.shift();
      if (fault === 'throttle' || !takeToken()) {
        stats.runTaskThrottled++;
        throw new AwsError('ThrottlingException', 'Rate exceeded');
      }
      if (fault === 'server-error') throw new AwsError('ServerException', 'Service unavailable', 500);
      const count = Number(input['count'] ?? 1);
      if (!Number.isInteger(count) || count < 1 || count > 10)
        throw new AwsError('InvalidParameterException', 'count must be between 1 and 10');
      if (JSON.stringify(input['overrides'] ?? {}).length > 8192)
        throw new AwsError('InvalidParameterException', 'Container Overrides length must be at most 8192');
      if (input['launchType'] !== undefined && input['capacityProviderStrategy'] !== undefined)
        throw new AwsError(
          'InvalidParameterException',
          'launchType and capacityProviderStrategy are mutually exclusive',
        );
      const cluster = String(input['cluster'] ?? 'default');
      const token = input['clientToken'] as string | undefined;
      const previous = token === undefined ? undefined : byToken.get(token);
      let result: { tasks: string[]; failures: unknown[] };
      if (previous !== undefined) result = previous;
      else {
        result = { tasks: [], failures: [] };
        for (let i = 0; i < count; i++) {
          if (failTasks.count > 0) {
            failTasks.count--;
            result.failures.push({ arn: clusterArn(cluster), reason: failTasks.reason });
            continue;
          }
          const task = newTask(input, cluster);
          if (token !== undefined) task.clientToken = token;
          result.tasks.push(task.arn);
        }
        if (token !== undefined) byToken.set(token, result);
      }
      if (fault === 'lose-response')
        throw new AwsError('ServerException', 'connection lost after the task was created', 503);
      return {
        tasks: result.tasks.map((arn) => taskShape(tasks.get(arn) as LocalTask, false)),
        failures: result.failures,
      };
    },
    DescribeTasks(input) {
      stats.describeTasksCalls++;
      const refs = (input['tasks'] as string[]) ?? [];
      if (refs.length > 100)
        throw new AwsError('InvalidParameterException', 'Tasks cannot be longer than 100 tasks');
      const withTags = ((input['include'] as string[]) ?? []).includes('TAGS');
      const found: unknown[] = [];
      const failures: unknown[] = [];
      for (const ref of refs) {
        const task = findTask(ref);
        if (task === undefined) failures.push({ arn: ref, reason: 'MISSING' });
        else found.push(taskShape(task, withTags));
      }
      return { tasks: found, failures };
    },
    ListTasks(input) {
      stats.listTasksCalls++;
      const max = Number(input['maxResults'] ?? 100);
      if (max < 1 || max > 100)
        throw new AwsError('InvalidParameterException', 'maxResults must be 1 to 100');
      const desired = (input['desiredStatus'] as string | undefined) ?? 'RUNNING';
      const startedBy = input['startedBy'] as string | undefined;
      const matching = order.filter(
        (task) => task.desiredStatus === desired && (startedBy === undefined || task.startedBy === startedBy),
      );
      const offset =
        input['nextToken'] === undefined
          ? 0
          : Number(Buffer.from(String(input['nextToken']), 'base64').toString());
      const page = matching.slice(offset, offset + max);
      const next =
        offset + max < matching.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
      return { taskArns: page.map((task) => task.arn), ...(next === undefined ? {} : { nextToken: next }) };
    },
    StopTask(input) {
      stats.stopTaskCalls++;
      const task = findTask(String(input['task']));
      if (task === undefined)
        throw new AwsError('InvalidParameterException', 'The referenced task was not found.');
      stopTask(task, {
        stopCode: 'UserInitiated',
        stoppedReason: String(input['reason'] ?? 'Task stopped by user'),
        ...(task.startedAt === undefined ? {} : { exitCode: 143 }),
      });
      return { task: taskShape(task, false) };
    },
    GetLogEvents(input) {
      stats.getLogEventsCalls++;
      const stream = String(input['logStreamName']);
      const group = options.logGroup;
      const task = order.find(
        (candidate) => `${group?.streamPrefix}/${candidate.containerName}/${candidate.id}` === stream,
      );
      if (
        group === undefined ||
        input['logGroupName'] !== group.name ||
        task === undefined ||
        task.startedAt === undefined
      )
        throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
      const token = input['nextToken'] as string | undefined;
      const offset = token === undefined ? 0 : Number(token.slice(2));
      const events = task.logs.slice(offset, offset + pageSize);
      const nextForwardToken = `f/${offset + events.length}`;
      return {
        events: events.map((event) => ({
          ...event,
          timestamp: event.timestamp,
          ingestionTime: event.timestamp,
        })),
        nextForwardToken,
        nextBackwardToken: `b/${offset}`,
      };
    },
  };

  const respond = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomBytes(8).toString('hex'),
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() ?? '';
    const known =
      (target.startsWith('AmazonEC2ContainerServiceV20141113.') || target === 'Logs_20140328.GetLogEvents') &&
      operations[operation] !== undefined;
    try {
      if (!known) throw new AwsError('UnknownOperationException', `unknown operation ${target}`);
      const body =
        chunks.length === 0
          ? {}
          : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      respond(res, 200, (operations[operation] as (input: Record<string, unknown>) => unknown)(body));
    } catch (error) {
      if (error instanceof AwsError)
        respond(res, error.status, { __type: error.type, message: error.message });
      else respond(res, 500, { __type: 'ServerException', message: String(error) });
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    clientConfig: {
      endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    },
    tasks,
    stats,
    published,
    injectRunTask(...more) {
      faults.push(...more);
    },
    failNextTasks(count, reason = CAPACITY_REASON) {
      failTasks = { count, reason };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    createForeignTask(startedBy) {
      return newTask({ taskDefinition: 'other', startedBy, overrides: {} }, 'default');
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      listeners.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
