import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type AddressSet,
  AddressSetBuilder,
  createDnsResolver,
  isScanplaneError,
  type OrderOptions,
  type PlanTasksOptions,
  PortSet,
  type PreparedTargets,
  type PrepareOptions,
  planTasks,
  prepare,
  readTargetFile,
  type Shard,
  summaryToJSON,
  type TargetInput,
  targetsFromList,
} from '@scanplane/core';
import type { CliIO } from '../cli-io.js';
import { LineWriter } from '../line-writer.js';
import { ProgressBar } from '../progress-bar.js';
import { UsageError } from '../usage-error.js';

/** Usage text of `scanplane plan`. */
export const PLAN_USAGE = `Usage: scanplane plan [TARGET ...] [options]

Turns targets into a deduplicated, in-scope set of addresses and a plan of scan tasks.

Targets: IPv4/IPv6 addresses, CIDRs (10.0.0.0/24, 10.0.0.0/255.255.255.0), ranges (10.0.0.5-20,
10.0.0.5-10.0.1.20, a::1-a::ff), nmap octet ranges (192.168.0-255.1-254), hostnames, URLs, host:port.
Separate them with commas or spaces.

Input:
  -i, --input FILE|-        read targets from a file (one or more per line, # comments), or stdin
  --exclude SPECS           never scan these (same syntax; repeatable)
  --exclude-file FILE       exclusions from a file
  --allow SPECS             scan only inside these (anything else is refused out_of_scope)
  --allow-file FILE         allow-list from a file
  --public-only             also refuse private, loopback, link-local, CGNAT and documentation ranges
  --hosts-only              leave out network and broadcast addresses of CIDRs (keeps /31 and /32)
  --max-addresses N         refuse entries with more than N addresses (default 16777216)
Resolution:
  --hosts FILE              static host map in hosts(5) format, consulted first
  --dns-server IP[:PORT]    DNS server to ask (repeatable; default: the system's)
  --no-resolve              do not resolve hostnames (they are refused as unresolvable)
  --resolve-all             use every address a name resolves to (default)
  --resolve-first           use only the first address that passes the scope policy
  --ipv6                    also resolve AAAA records
Plan:
  --ports SPEC              ports, nmap syntax: 22,80,443,1000-2000,T:80,U:53 (default 1-1024)
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

interface PlanArguments {
  targets: TargetInput[];
  inputs: string[];
  prepare: PrepareOptions;
  ports: PortSet;
  order: OrderOptions;
  blockSize?: number;
  portChunk?: number;
  output: Output;
  strict: boolean;
  help: boolean;
  hostsFile?: string;
  dnsServers?: string[];
  excludeFiles: string[];
  allowFiles: string[];
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
  if (args.hostsFile !== undefined || args.dnsServers !== undefined) {
    const hosts = args.hostsFile === undefined ? undefined : await readUsageFile(args.hostsFile, '--hosts');
    args.prepare.resolver = createDnsResolver({
      ...(hosts === undefined ? {} : { hosts }),
      ...(args.dnsServers === undefined ? {} : { servers: args.dnsServers }),
    });
  }
  const exclude = [...(args.prepare.exclude as TargetInput[])];
  for (const file of args.excludeFiles)
    for await (const entry of readTargetFile(file, io.stdin)) exclude.push(entry);
  if (exclude.length > 0) args.prepare.exclude = exclude;
  else delete args.prepare.exclude;
  if (args.allowFiles.length > 0) {
    const allow = [...((args.prepare.allow as TargetInput[] | undefined) ?? [])];
    for (const file of args.allowFiles)
      for await (const entry of readTargetFile(file, io.stdin)) allow.push(entry);
    args.prepare.allow = allow;
  }
  if (args.targets.length === 0 && args.inputs.length === 0) {
    throw new UsageError('no targets: give them as arguments or with -i FILE (use -i - for stdin)');
  }

  const progress = io.stderrIsTTY ? new ProgressBar(io.stderr, 'resolving') : undefined;
  if (progress) args.prepare.onProgress = ({ done, total }) => progress.update(done, total);
  const prepared = await prepare(entries(args, io), args.prepare);
  progress?.clear();

  const summaryLine = (): string =>
    JSON.stringify({
      ...summaryToJSON(prepared.summary),
      refusedEntries: [...prepared.refusedEntries()].map(({ index, input, source, reason, message }) => ({
        index,
        input,
        ...(source === undefined ? {} : { source }),
        reason,
        message,
      })),
    });
  const invalid = prepared.summary.refused.invalid ?? 0;
  if (args.strict && invalid > 0) {
    io.stderr.write(`${summaryLine()}\n`);
    io.stderr.write(
      `scanplane plan: --strict: ${invalid} invalid entr${invalid === 1 ? 'y' : 'ies'}, no plan printed\n`,
    );
    return 1;
  }

  const out = new LineWriter(io.stdout);
  await writeOutput(args, prepared, out);
  await out.flush();
  if (args.output !== 'summary') io.stderr.write(`${summaryLine()}\n`);
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

async function* entries(args: PlanArguments, io: CliIO): AsyncGenerator<TargetInput> {
  yield* args.targets;
  for (const file of args.inputs) yield* readTargetFile(file, io.stdin);
}

async function readUsageFile(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** @internal */
export function parsePlanArguments(argv: string[]): PlanArguments {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof PLAN_OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: PLAN_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v['resolve-all'] && v['resolve-first']) {
    throw new UsageError('--resolve-all and --resolve-first cannot be used together');
  }
  if (v['no-resolve'] && (v['resolve-all'] || v['resolve-first'])) {
    throw new UsageError('--no-resolve cannot be combined with --resolve-all or --resolve-first');
  }
  const output = (v.output ?? 'jsonl') as Output;
  if (!OUTPUTS.includes(output)) {
    throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}; got '${v.output}'`);
  }
  let ports: PortSet;
  try {
    ports = PortSet.parse(v.ports ?? '1-1024');
  } catch (error) {
    throw new UsageError(
      `--ports: ${isScanplaneError(error) ? error.message.replace(/^\[scanplane\] /, '') : error}`,
    );
  }
  const order: OrderOptions = {};
  if (v.seed !== undefined) order.seed = integer(v.seed, '--seed', 0);
  if (v.shard !== undefined) order.shard = shard(v.shard);
  const prepareOptions: PrepareOptions = {
    exclude: targetsFromList(v.exclude ?? [], { kind: 'list', name: '--exclude' }),
    publicOnly: v['public-only'] ?? false,
    hostsOnly: v['hosts-only'] ?? false,
    resolve: !(v['no-resolve'] ?? false),
    resolution: v['resolve-first'] ? 'first' : 'all',
    ipv6: v.ipv6 ?? false,
  };
  if (v.allow !== undefined)
    prepareOptions.allow = targetsFromList(v.allow, { kind: 'list', name: '--allow' });
  if (v['max-addresses'] !== undefined)
    prepareOptions.maxAddresses = integer(v['max-addresses'], '--max-addresses', 1);
  const args: PlanArguments = {
    targets: targetsFromList(parsed.positionals, { kind: 'argument' }),
    inputs: v.input ?? [],
    prepare: prepareOptions,
    ports,
    order,
    output,
    strict: v.strict ?? false,
    help: v.help ?? false,
    excludeFiles: v['exclude-file'] ?? [],
    allowFiles: v['allow-file'] ?? [],
  };
  if (v['block-size'] !== undefined) args.blockSize = integer(v['block-size'], '--block-size', 1);
  if (v['port-chunk'] !== undefined) args.portChunk = integer(v['port-chunk'], '--port-chunk', 1);
  if (v.hosts !== undefined) args.hostsFile = v.hosts;
  if (v['dns-server'] !== undefined) args.dnsServers = v['dns-server'];
  if (output !== 'jsonl' && (args.blockSize !== undefined || args.portChunk !== undefined)) {
    throw new UsageError('--block-size and --port-chunk only apply to --output jsonl');
  }
  return args;
}

const PLAN_OPTIONS = {
  input: { type: 'string', short: 'i', multiple: true },
  exclude: { type: 'string', multiple: true },
  'exclude-file': { type: 'string', multiple: true },
  allow: { type: 'string', multiple: true },
  'allow-file': { type: 'string', multiple: true },
  'public-only': { type: 'boolean' },
  'hosts-only': { type: 'boolean' },
  'max-addresses': { type: 'string' },
  ports: { type: 'string', short: 'p' },
  hosts: { type: 'string' },
  'dns-server': { type: 'string', multiple: true },
  'no-resolve': { type: 'boolean' },
  'resolve-all': { type: 'boolean' },
  'resolve-first': { type: 'boolean' },
  ipv6: { type: 'boolean' },
  seed: { type: 'string' },
  shard: { type: 'string' },
  'block-size': { type: 'string' },
  'port-chunk': { type: 'string' },
  output: { type: 'string', short: 'o' },
  strict: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integer(text: string, option: string, min: number): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`${option} must be an integer of at least ${min}; got '${text}'`);
  }
  return Number(text);
}

function shard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard must be K/N with 1 ≤ K ≤ N, for example 1/4; got '${text}'`);
  }
  return { index, count };
}
