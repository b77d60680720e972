import { ScanplaneError } from '../errors/scanplane-error.js';
import type { OrganizationOutcome } from '../schedule/schedule-history.js';
import type { CommandOptions } from './entrypoint.js';
import { toTaskError } from './handler-error.js';
import type { TaskContext } from './task-handler.js';

/**
 * One organization of a batch, as {@link runForOrganizations} hands it to the scan: the command options narrowed to
 * it (Crossfeed's `{...options, organizations: [], organizationId, organizationName}`).
 *
 * @example
 * ```ts
 * import type { OrganizationRun } from '@scanplane/core';
 * const scan = async (run: OrganizationRun) => ({ scanned: run.organizationId });
 * ```
 */
export interface OrganizationRun {
  /** The organization's id. */
  organizationId: string;
  /** Its name. */
  organizationName: string;
  /** Its authorised scope, when the task carries it (scheduled tasks do). */
  scope?: NonNullable<CommandOptions['organizations']>[number]['scope'];
  /** The task's command options. */
  options: CommandOptions;
}

/**
 * The result of a batch task: how each organization fared (read by the scheduler's pair histories).
 *
 * @example
 * ```ts
 * import type { BatchResult } from '@scanplane/core';
 * declare const result: BatchResult;
 * Object.values(result.organizations).filter((o) => o.status === 'failed').length;
 * ```
 */
export interface BatchResult {
  /** Per organization id: finished (with its result) or failed (with its error). */
  organizations: Record<string, OrganizationOutcome>;
}

/**
 * Runs a per-organization scan over the task's batch of organizations, one after another, where one organization's
 * error fails only that organization: the others still run (Crossfeed stopped at the first error and failed the
 * whole batch, and the frequency window then started for all of them). The result records each organization's
 * outcome; if every organization failed, it throws (so the task fails) with their errors in `details`. An abort
 * stops at once and rethrows.
 *
 * @throws {@link ScanplaneError} `TASK_FAILED` when every organization failed; `ABORTED` when the signal aborts.
 * @example
 * ```ts
 * import { runEntrypoint, runForOrganizations } from '@scanplane/core';
 * process.exitCode = await runEntrypoint({
 *   handlers: {
 *     portscanner: (options, context) =>
 *       runForOrganizations(options, context, async ({ organizationId }) => ({ scanned: organizationId })),
 *   },
 * });
 * ```
 */
export async function runForOrganizations(
  options: CommandOptions,
  context: TaskContext,
  scan: (run: OrganizationRun, context: TaskContext) => Promise<unknown>,
): Promise<BatchResult> {
  const organizations = options.organizations ?? [];
  const outcomes: Record<string, OrganizationOutcome> = {};
  let failures = 0;
  for (const organization of organizations) {
    if (context.signal.aborted) break;
    try {
      const run: OrganizationRun = {
        organizationId: organization.id,
        organizationName: organization.name,
        options,
      };
      if (organization.scope !== undefined) run.scope = organization.scope;
      const result = await scan(run, context);
      outcomes[organization.id] =
        result === undefined ? { status: 'finished' } : { status: 'finished', result };
    } catch (error) {
      if (context.signal.aborted) break;
      const taskError = toTaskError(error);
      outcomes[organization.id] = { status: 'failed', error: taskError };
      failures++;
      context.log(`organization ${organization.id} failed: ${taskError.code}: ${taskError.message}`);
    }
  }
  if (context.signal.aborted) {
    throw new ScanplaneError(
      'ABORTED',
      `aborted after ${Object.keys(outcomes).length} of ${organizations.length} organizations`,
      { details: { done: Object.keys(outcomes) } },
    );
  }
  if (organizations.length > 0 && failures === organizations.length) {
    throw new ScanplaneError('TASK_FAILED', `all ${failures} organizations failed`, {
      details: { organizations: outcomes as unknown as Record<string, unknown> },
    });
  }
  return { organizations: outcomes };
}
