import type { HealthReport } from '@scanplane/core';
import { translateError } from './pg-errors.js';
import { prepared, type QueryClient } from './queryable.js';

/**
 * Runs one parameterised statement and returns its rows; a failure becomes a `ScanplaneError` saying what was
 * being done ({@link translateError}). With `prepare`, the statement is sent as a named prepared statement.
 *
 * @internal
 */
export async function runQuery<Row>(
  client: Pick<QueryClient, 'query'>,
  text: string,
  values: unknown[],
  doing: string,
  prepare = false,
): Promise<Row[]> {
  try {
    return (await client.query<Row>(prepare ? prepared(text, values) : text, prepare ? undefined : values))
      .rows;
  } catch (error) {
    throw translateError(error, doing);
  }
}

/**
 * A health report from a real query: `probe` runs it and returns the detail of a healthy answer; a failure is
 * reported (never thrown) with what `doing` says. Latency is measured around the probe.
 *
 * @internal
 */
export async function probeHealth(
  component: string,
  doing: string,
  probe: () => Promise<string>,
): Promise<HealthReport> {
  const started = performance.now();
  try {
    const detail = await probe();
    return { ok: true, component, detail, latencyMs: performance.now() - started };
  } catch (error) {
    return {
      ok: false,
      component,
      detail: translateError(error, doing).message,
      latencyMs: performance.now() - started,
    };
  }
}
