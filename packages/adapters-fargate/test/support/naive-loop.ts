// The benchmark's naive RunTask loop (bench/fargate.bench.ts): a plain ECSClient with the SDK's default retries
// (`standard`, 3 attempts), `concurrency` calls in flight, no limiter, no clientToken; an error that reaches the loop
// is counted and the call repeated after `retryDelayMs`. Here so the AWS SDK resolves from this package.
import { ECSClient, type ECSClientConfig, RunTaskCommand } from '@aws-sdk/client-ecs';

export interface NaiveLoopReport {
  /** Calls that launched a task. */
  launched: number;
  /** Errors that reached the loop after the SDK's own retries. */
  errorsToLoop: number;
}

export async function naiveRunTaskLoop(options: {
  clientConfig: ECSClientConfig;
  calls: number;
  concurrency: number;
  startedBy: string;
  retryDelayMs?: number;
}): Promise<NaiveLoopReport> {
  const client = new ECSClient(options.clientConfig);
  const report: NaiveLoopReport = { launched: 0, errorsToLoop: 0 };
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.calls) {
          next++;
          for (;;) {
            try {
              await client.send(
                new RunTaskCommand({
                  cluster: 'bench',
                  taskDefinition: 'scanplane-worker:1',
                  launchType: 'FARGATE',
                  startedBy: options.startedBy,
                  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } },
                }),
              );
              report.launched++;
              break;
            } catch {
              report.errorsToLoop++;
              await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 50));
            }
          }
        }
      }),
    );
  } finally {
    client.destroy();
  }
  return report;
}
