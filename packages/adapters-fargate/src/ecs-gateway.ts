import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  GetLogEventsCommand,
  type GetLogEventsCommandOutput,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTasksCommand,
  ECSClient,
  type ECSClientConfig,
  type Failure,
  ListTasksCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { awsErrorName, ecsCallError, isThrottling, isTransient } from './fargate-errors.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { sleep } from './sleep.js';

/** How calls are retried and spaced. */
export interface GatewayOptions {
  ecs?: ECSClient | undefined;
  ecsConfig?: ECSClientConfig | undefined;
  logs?: CloudWatchLogsClient | undefined;
  logsConfig?: CloudWatchLogsClientConfig | undefined;
  cluster: string;
  limiter?: RateLimiter | undefined;
  ratePerSecond?: number | undefined;
  burst?: number | undefined;
  maxRetries?: number | undefined;
  retryBaseMs?: number | undefined;
  retryMaxMs?: number | undefined;
  onRetry?: ((what: string, attempt: number, delayMs: number, error: unknown) => void) | undefined;
}

/** The ECS and CloudWatch Logs calls the launcher and the worker pool make: rate-limited RunTask, retried calls. */
export class EcsGateway {
  readonly ecs: ECSClient;
  readonly cluster: string;
  readonly limiter: RateLimiter;
  private logsClient: CloudWatchLogsClient | undefined;
  private readonly options: GatewayOptions;

  constructor(options: GatewayOptions) {
    this.options = options;
    this.cluster = options.cluster;
    // Our own client: the SDK does not retry (maxAttempts 1), this gateway does, with backoff and the rate limiter.
    this.ecs = options.ecs ?? new ECSClient({ maxAttempts: 1, ...(options.ecsConfig ?? {}) });
    this.logsClient = options.logs;
    this.limiter =
      options.limiter ??
      createRateLimiter({ ratePerSecond: options.ratePerSecond ?? 20, burst: options.burst ?? 10 });
  }

  get logs(): CloudWatchLogsClient {
    this.logsClient ??= new CloudWatchLogsClient({
      maxAttempts: 1,
      ...((this.options.logsConfig ?? this.options.ecsConfig ?? {}) as CloudWatchLogsClientConfig),
    });
    return this.logsClient;
  }

  /** Runs `call` until it succeeds or fails for good: throttling, server errors and no answer are retried. */
  async retry<T>(
    what: string,
    call: () => Promise<T>,
    options: { signal?: AbortSignal | undefined; limited?: boolean } = {},
  ): Promise<T> {
    const maxRetries = this.options.maxRetries ?? 8;
    const base = this.options.retryBaseMs ?? 100;
    const max = this.options.retryMaxMs ?? 5_000;
    for (let attempt = 0; ; attempt++) {
      if (options.limited === true) await this.limiter.take(options.signal);
      try {
        return await call();
      } catch (error) {
        if (!isTransient(error) || attempt >= maxRetries || options.signal?.aborted === true) {
          throw ecsCallError(what, this.cluster, error);
        }
        // Full jitter on an exponential backoff; throttling waits at least a second's worth of tokens.
        const ceiling = Math.min(max, base * 2 ** attempt);
        const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.options.onRetry?.(what, attempt + 1, delay, error);
        await sleep(isThrottling(error) ? Math.max(delay, 50) : delay, options.signal);
      }
    }
  }

  /** One RunTask call, rate-limited and retried (the clientToken makes the retry safe). */
  runTask(input: RunTaskCommandInput, signal?: AbortSignal): Promise<RunTaskCommandOutput> {
    return this.retry(
      'RunTask',
      () => this.ecs.send(new RunTaskCommand(input), signal === undefined ? {} : { abortSignal: signal }),
      { signal, limited: true },
    );
  }

  /** Every task ARN of `startedBy` with the desired status, every page. */
  async listTaskArns(startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING'): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.retry('ListTasks', () =>
        this.ecs.send(
          new ListTasksCommand({
            cluster: this.cluster,
            startedBy,
            desiredStatus,
            maxResults: 100,
            ...(nextToken === undefined ? {} : { nextToken }),
          }),
        ),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined && nextToken !== '');
    return arns;
  }

  /** DescribeTasks in batches of 100, with tags. */
  async describeTasks(arns: readonly string[]): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const tasks: Task[] = [];
    const failures: Failure[] = [];
    for (let start = 0; start < arns.length; start += 100) {
      const batch = arns.slice(start, start + 100);
      const page = await this.retry('DescribeTasks', () =>
        this.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: batch, include: ['TAGS'] })),
      );
      tasks.push(...(page.tasks ?? []));
      failures.push(...(page.failures ?? []));
    }
    return { tasks, failures };
  }

  /** StopTask with a reason; a task ECS does not know (or no longer keeps) is not an error. */
  async stopTask(arn: string, reason: string): Promise<void> {
    try {
      await this.retry('StopTask', () =>
        this.ecs.send(
          new StopTaskCommand({ cluster: this.cluster, task: arn, reason: reason.slice(0, 255) }),
        ),
      );
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (awsErrorName(cause) === 'InvalidParameterException' || awsErrorName(cause) === 'ClientException')
        return;
      throw error;
    }
  }

  /** Every event of a log stream, oldest first, following `nextForwardToken` until it repeats. */
  async logEvents(
    logGroupName: string,
    logStreamName: string,
    signal?: AbortSignal,
  ): Promise<OutputLogEvent[]> {
    const events: OutputLogEvent[] = [];
    let token: string | undefined;
    for (;;) {
      let page: GetLogEventsCommandOutput;
      try {
        page = await this.retry(
          'GetLogEvents',
          () =>
            this.logs.send(
              new GetLogEventsCommand({
                logGroupName,
                logStreamName,
                startFromHead: true,
                ...(token === undefined ? {} : { nextToken: token }),
              }),
              signal === undefined ? {} : { abortSignal: signal },
            ),
          { signal },
        );
      } catch (error) {
        if (awsErrorName((error as { cause?: unknown }).cause) === 'ResourceNotFoundException') return events;
        throw error;
      }
      events.push(...(page.events ?? []));
      if (page.nextForwardToken === undefined || page.nextForwardToken === token) return events;
      token = page.nextForwardToken;
    }
  }
}
