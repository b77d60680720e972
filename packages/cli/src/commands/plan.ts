import {
  type AddressSet,
  AddressSetBuilder,
  type OrderOptions,
  type PlanTasksOptions,
  type PreparedTargets,
  planTasks,
  prepare,
  type Shard,
  summaryToJSON,
} from '@scanplane/core';
import type { CliIO } from '../cli-io.js';
import { LineWriter } from '../line-writer.js';
import { ProgressBar } from '../progress-bar.js';
import { UsageError } from '../usage-error.js';
import {
  integer,
  loadTargetFiles,
  PORTS_HELP,
  parseCommandLine,
  summaryLine,
  TARGET_OPTIONS,
  TARGET_OPTIONS_HELP,
  TARGETS_HELP,
  type TargetArguments,
  targetArguments,
  targetEntries,
} from './target-options.js';

/** Usage text of `scanplane plan`. */
export const PLAN_USAGE = `Usage: scanplane plan [TARGET ...] [options]

Turns targets into a deduplicated, in-scope set of addresses and a plan of scan tasks.

${TARGETS_HELP}

${TARGET_OPTIONS_HELP}
Plan:
${PORTS_HELP}
  --seed N                  pseudo-random order, reproducible from N (default: ascending)
  --shard K/N               only shard K of N (every shard must use the same --seed)
  --block-size N            block tasks of up to N addresses
  --port-chunk N            block tasks of up to N ports
Output:
  --output FORMAT           jsonl (tasks, default) | ips | cidrs | count | summary
  --strict                  exit 1, and print no plan, when any entry is invalid
  -h, --help                show this help

The summary is printed to stderr as one JSON line at the end (except with --output summary).
Exit status: 0 success (even when entries were refused), 1 --strict with invalid entries, 2 usage error.`;

const OUTPUTS = ['jsonl', 'ips', 'cidrs', 'count', 'summary'] as const;
type Output = (typeof OUTPUTS)[number];

interface PlanArguments extends TargetArguments {
  order: OrderOptions;
  blockSize?: number;
  portChunk?: number;
  output: Output;
  strict: boolean;
}

/**
 * Runs `scanplane plan` and returns its exit status.
 * @internal
 */
export async function planCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parsePlanArguments(argv);
  if (args.help) {
    io.stdout.write(`${PLAN_USAGE}\n`);
    return 0;
  }
  await loadTargetFiles(args, io);

  const progress = io.stderrIsTTY ? new ProgressBar(io.stderr, 'resolving') : undefined;
  if (progress) args.prepare.onProgress = ({ done, total }) => progress.update(done, total);
  const prepared = await prepare(targetEntries(args, io), args.prepare);
  progress?.clear();

  const invalid = prepared.summary.refused.invalid ?? 0;
  if (args.strict && invalid > 0) {
    io.stderr.write(`${summaryLine(prepared.summary, prepared)}\n`);
    io.stderr.write(
      `scanplane plan: --strict: ${invalid} invalid entr${invalid === 1 ? 'y' : 'ies'}, no plan printed\n`,
    );
    return 1;
  }

  const out = new LineWriter(io.stdout);
  await writeOutput(args, prepared, out);
  await out.flush();
  if (args.output !== 'summary') io.stderr.write(`${summaryLine(prepared.summary, prepared)}\n`);
  return 0;
}

async function writeOutput(args: PlanArguments, prepared: PreparedTargets, out: LineWriter): Promise<void> {
  const set = prepared.addresses;
  switch (args.output) {
    case 'summary': {
      await out.line(
        JSON.stringify({ ...summaryToJSON(prepared.summary), entries: [...prepared.entries()] }),
      );
      return;
    }
    case 'count': {
      await out.line(String(selectedCount(set, args.order)));
      return;
    }
    case 'cidrs': {
      for (const cidr of selectedSet(set, args.order).cidrs()) {
        await out.line(cidr);
        if (out.closed) return;
      }
      return;
    }
    case 'ips': {
      for (const address of set.addresses(args.order)) {
        await out.line(address);
        if (out.closed) return;
      }
      return;
    }
    case 'jsonl': {
      const options: PlanTasksOptions = { ports: args.ports, ...args.order };
      if (args.blockSize !== undefined) options.maxAddressesPerTask = args.blockSize;
      if (args.portChunk !== undefined) options.maxPortsPerTask = args.portChunk;
      for (const task of planTasks(prepared, options)) {
        const line =
          task.granularity === 'ip'
            ? JSON.stringify({ ip: task.ip, ports: task.ports, hostnames: task.hostnames })
            : JSON.stringify({ addresses: task.addresses, ports: task.ports, hostnames: task.hostnames });
        await out.line(line);
        if (out.closed) return;
      }
      return;
    }
  }
}

function selectedCount(set: AddressSet, order: OrderOptions): bigint {
  const [from, to] = set.shardBounds(order.shard);
  return to - from;
}

/** The addresses of the selected shard as a set (the whole set without --shard). */
function selectedSet(set: AddressSet, order: OrderOptions): AddressSet {
  if (order.shard === undefined) return set;
  const builder = new AddressSetBuilder();
  for (const chunk of set.chunks(order)) {
    if (chunk.family === 4) for (const value of chunk.values) builder.addV4(value, value);
    else for (const value of chunk.values) builder.addV6(value, value);
  }
  return builder.build();
}

/** @internal */
export function parsePlanArguments(argv: string[]): PlanArguments {
  const parsed = parseCommandLine(argv, PLAN_OPTIONS);
  const v = parsed.values;
  const base = targetArguments(v, parsed.positionals);
  const output = (v.output ?? 'jsonl') as Output;
  if (!OUTPUTS.includes(output)) {
    throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}; got '${v.output}'`);
  }
  const order: OrderOptions = {};
  if (v.seed !== undefined) order.seed = integer(v.seed, '--seed', 0);
  if (v.shard !== undefined) order.shard = shard(v.shard);
  const args: PlanArguments = { ...base, order, output, strict: v.strict ?? false };
  if (v['block-size'] !== undefined) args.blockSize = integer(v['block-size'], '--block-size', 1);
  if (v['port-chunk'] !== undefined) args.portChunk = integer(v['port-chunk'], '--port-chunk', 1);
  if (output !== 'jsonl' && (args.blockSize !== undefined || args.portChunk !== undefined)) {
    throw new UsageError('--block-size and --port-chunk only apply to --output jsonl');
  }
  return args;
}

const PLAN_OPTIONS = {
  ...TARGET_OPTIONS,
  seed: { type: 'string' },
  shard: { type: 'string' },
  'block-size': { type: 'string' },
  'port-chunk': { type: 'string' },
  output: { type: 'string', short: 'o' },
  strict: { type: 'boolean' },
} as const;

function shard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard must be K/N with 1 ≤ K ≤ N, for example 1/4; got '${text}'`);
  }
  return { index, count };
}
