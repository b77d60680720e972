import { isTerminal, type ScanTask, type TickReport } from '@scanplane/core';
import type { Deployment } from '../deployment.js';
import { PROJECT } from '../deployment.js';
import { DEMO_ORGANIZATIONS, type SeededDemo } from './seed.js';
import { table } from './table.js';

/**
 * What the first round of the demo did and whether it went as it should.
 *
 * @example
 * ```ts
 * import type { RoundOutcome } from './first-round.js';
 * const ok = (outcome: RoundOutcome) => outcome.problems.length === 0;
 * ```
 */
export interface RoundOutcome {
  /** The tick. */
  report: TickReport;
  /** Every task the tick created, ended. */
  tasks: ScanTask[];
  /** What is off, if anything (empty: all good). */
  problems: string[];
}

type PortscanOutcome = { status: string; result?: { openPorts: number[] } };

/** The open ports the latest finished portscan found per organization. */
function openPortsByOrganization(tasks: readonly ScanTask[]): Map<string, number[]> {
  const found = new Map<string, number[]>();
  for (const task of tasks) {
    if (task.kind !== 'portscan' || task.status !== 'finished') continue;
    const outcomes = (task.result as { organizations?: Record<string, PortscanOutcome> } | undefined)
      ?.organizations;
    for (const [organizationId, outcome] of Object.entries(outcomes ?? {}))
      if (outcome.status === 'finished' && outcome.result !== undefined)
        found.set(organizationId, outcome.result.openPorts);
  }
  return found;
}

/**
 * Runs the demo's first round, the orchestrator already started (it applies the containers' events): one scheduler
 * tick, then waits (up to `timeoutMs`) until every task it created has ended — each in its own container — prints
 * the decisions and results, and checks them: every task finished; each
 * portscanned organization's open ports are exactly its listeners; the passive organization (`initech`) and the
 * unselected one (`hooli`) were never contacted, and were skipped for that reason.
 *
 * @example
 * ```ts
 * import { runFirstRound } from './first-round.js';
 * declare const deployment: import('../deployment.js').Deployment;
 * declare const demo: import('./seed.js').SeededDemo;
 * const { problems } = await runFirstRound(deployment, demo, { print: console.log });
 * ```
 */
export async function runFirstRound(
  deployment: Deployment,
  demo: SeededDemo,
  options: { print: (line: string) => void; timeoutMs?: number },
): Promise<RoundOutcome> {
  const { store, scheduler } = deployment;
  const print = options.print;
  const report = await scheduler.tick();
  if (report === undefined)
    throw new Error('another process holds the scheduler lock: stop it and try again');
  const planned = report.plan.launch.length + report.plan.queue.length;
  print(
    `Tick at ${new Date(report.plan.at).toISOString()}: ${report.plan.launch.length} tasks to launch, ` +
      `${report.plan.queue.length} queued for capacity, ${report.failed.length} failed to launch`,
  );
  print(
    table(
      ['SCAN', 'ORGANIZATION', 'SKIPPED BECAUSE'],
      report.plan.skipped.map((skip) => [skip.scanId, skip.organizationId ?? '(global)', skip.reason]),
    ),
  );

  // The tick's tasks: created at its decision time (the scheduler or the orchestrator's dispatcher launches them).
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let tasks: ScanTask[] = [];
  for (;;) {
    tasks = (await store.list({ project: PROJECT })).filter((task) => task.createdAt >= report.plan.at);
    const done = tasks.length >= planned && tasks.every((task) => isTerminal(task.status));
    if (done || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  print('');
  print('Tasks (one container each)');
  print(
    table(
      ['SCAN', 'ORGANIZATIONS', 'CONTAINER', 'STATUS'],
      tasks.map((task) => [
        task.scanId ?? '-',
        task.organizationIds?.join(', ') || '(global)',
        task.handle?.id ?? '-',
        task.error === undefined ? task.status : `${task.status}: ${task.error.code} ${task.error.message}`,
      ]),
    ),
  );

  const problems: string[] = [];
  if (tasks.length < planned) problems.push(`the tick planned ${planned} tasks, ${tasks.length} were found`);
  for (const task of tasks)
    if (task.status !== 'finished') problems.push(`task ${task.id} (${task.scanId}) ended ${task.status}`);
  const found = openPortsByOrganization(tasks);
  const portscanned = new Set(
    tasks.filter((task) => task.kind === 'portscan').flatMap((task) => task.organizationIds ?? []),
  );
  const rows: string[][] = [];
  for (const organization of DEMO_ORGANIZATIONS) {
    const listening = demo.listeners.get(organization.id);
    const open = found.get(organization.id);
    rows.push([
      organization.id,
      organization.passive ? 'passive' : 'active',
      listening?.ports.join(', ') ?? '-',
      String(listening?.connections() ?? 0),
      portscanned.has(organization.id) ? (open?.join(', ') ?? 'no result') : 'not scanned',
    ]);
    const expectScan = !organization.passive && organization.id !== 'hooli';
    if (expectScan && JSON.stringify(open) !== JSON.stringify(listening?.ports))
      problems.push(
        `${organization.id}: the portscan found ${open?.join(', ') ?? 'nothing'}, expected its listeners`,
      );
    if (!expectScan && (portscanned.has(organization.id) || (listening?.connections() ?? 0) > 0))
      problems.push(`${organization.id} must never be portscanned`);
  }
  const skippedFor = (organizationId: string) =>
    report.plan.skipped.find((skip) => skip.scanId === 'portscan' && skip.organizationId === organizationId)
      ?.reason;
  if (skippedFor('initech') !== 'passive-organization')
    problems.push(`initech's portscan was skipped as ${skippedFor('initech')}, not passive-organization`);
  if (skippedFor('hooli') !== 'not-selected')
    problems.push(`hooli's portscan was skipped as ${skippedFor('hooli')}, not not-selected`);
  print('');
  print(`Open ports per organization (listeners on 127.0.0.1; port ${demo.closedPort} is closed)`);
  print(table(['ORGANIZATION', 'KIND', 'LISTENING', 'CONNECTIONS', 'PORTSCAN FOUND OPEN'], rows));
  return { report, tasks, problems };
}
