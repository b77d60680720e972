import { readFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  createDnsResolver,
  isScanplaneError,
  PortSet,
  type PreparedTargets,
  type PrepareOptions,
  type PrepareSummary,
  readTargetFile,
  summaryToJSON,
  type TargetInput,
  targetsFromList,
} from '@scanplane/core';
import type { CliIO } from '../cli-io.js';
import { UsageError } from '../usage-error.js';

/**
 * Help text shared by the commands that take targets (`plan`, `scan`): what a target is.
 * @internal
 */
export const TARGETS_HELP = `Targets: IPv4/IPv6 addresses, CIDRs (10.0.0.0/24, 10.0.0.0/255.255.255.0), ranges (10.0.0.5-20,
10.0.0.5-10.0.1.20, a::1-a::ff), nmap octet ranges (192.168.0-255.1-254), hostnames, URLs, host:port.
Separate them with commas or spaces.`;

/**
 * Help text of the input, scope and resolution options, shared by `plan` and `scan`.
 * @internal
 */
export const TARGET_OPTIONS_HELP = `Input:
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
  --ipv6                    also resolve AAAA records`;

/**
 * Help line of `--ports`, shared by `plan` and `scan`.
 * @internal
 */
export const PORTS_HELP =
  '  --ports SPEC              ports, nmap syntax: 22,80,443,1000-2000,T:80,U:53 (default 1-1024)';

/**
 * `node:util` `parseArgs` options of targets, scope, resolution and ports, shared by `plan` and `scan`.
 * @internal
 */
export const TARGET_OPTIONS = {
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
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * The parsed values of {@link TARGET_OPTIONS}.
 * @internal
 */
export interface TargetOptionValues {
  input?: string[];
  exclude?: string[];
  'exclude-file'?: string[];
  allow?: string[];
  'allow-file'?: string[];
  'public-only'?: boolean;
  'hosts-only'?: boolean;
  'max-addresses'?: string;
  ports?: string;
  hosts?: string;
  'dns-server'?: string[];
  'no-resolve'?: boolean;
  'resolve-all'?: boolean;
  'resolve-first'?: boolean;
  ipv6?: boolean;
  help?: boolean;
}

/**
 * What the target options say: the targets, the files to read, the preparation options and the ports.
 * @internal
 */
export interface TargetArguments {
  /** Targets given as arguments. */
  targets: TargetInput[];
  /** Files (or `-`) to read targets from. */
  inputs: string[];
  /** Scope and resolution; {@link loadTargetFiles} adds the files' exclusions, allow-list and resolver. */
  prepare: PrepareOptions;
  ports: PortSet;
  help: boolean;
  hostsFile?: string;
  dnsServers?: string[];
  excludeFiles: string[];
  allowFiles: string[];
}

/**
 * Parses `argv` against `options` (strict, positionals allowed); a mistake becomes a {@link UsageError}.
 * @internal
 */
export function parseCommandLine<const T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Checks and converts the target, scope, resolution and port options (nothing is read yet).
 * @internal
 */
export function targetArguments(
  v: TargetOptionValues,
  positionals: string[],
  defaultPorts = '1-1024',
): TargetArguments {
  if (v['resolve-all'] && v['resolve-first']) {
    throw new UsageError('--resolve-all and --resolve-first cannot be used together');
  }
  if (v['no-resolve'] && (v['resolve-all'] || v['resolve-first'])) {
    throw new UsageError('--no-resolve cannot be combined with --resolve-all or --resolve-first');
  }
  let ports: PortSet;
  try {
    ports = PortSet.parse(v.ports ?? defaultPorts);
  } catch (error) {
    throw new UsageError(
      `--ports: ${isScanplaneError(error) ? error.message.replace(/^\[scanplane\] /, '') : error}`,
    );
  }
  const prepare: PrepareOptions = {
    exclude: targetsFromList(v.exclude ?? [], { kind: 'list', name: '--exclude' }),
    publicOnly: v['public-only'] ?? false,
    hostsOnly: v['hosts-only'] ?? false,
    resolve: !(v['no-resolve'] ?? false),
    resolution: v['resolve-first'] ? 'first' : 'all',
    ipv6: v.ipv6 ?? false,
  };
  if (v.allow !== undefined) prepare.allow = targetsFromList(v.allow, { kind: 'list', name: '--allow' });
  if (v['max-addresses'] !== undefined)
    prepare.maxAddresses = integer(v['max-addresses'], '--max-addresses', 1);
  const args: TargetArguments = {
    targets: targetsFromList(positionals, { kind: 'argument' }),
    inputs: v.input ?? [],
    prepare,
    ports,
    help: v.help ?? false,
    excludeFiles: v['exclude-file'] ?? [],
    allowFiles: v['allow-file'] ?? [],
  };
  if (v.hosts !== undefined) args.hostsFile = v.hosts;
  if (v['dns-server'] !== undefined) args.dnsServers = v['dns-server'];
  return args;
}

/**
 * Reads what the options name: the host map (and DNS servers) into a resolver, and the exclusion and allow-list
 * files into `args.prepare`. Throws a {@link UsageError} when there are no targets at all.
 * @internal
 */
export async function loadTargetFiles(args: TargetArguments, io: CliIO): Promise<void> {
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
}

/**
 * The targets: the arguments first, then each input file in turn, read lazily.
 * @internal
 */
export async function* targetEntries(args: TargetArguments, io: CliIO): AsyncGenerator<TargetInput> {
  yield* args.targets;
  for (const file of args.inputs) yield* readTargetFile(file, io.stdin);
}

/**
 * The summary line printed to stderr: the summary as JSON, with every refused entry (its reason, message and source).
 * @internal
 */
export function summaryLine(summary: PrepareSummary, prepared: PreparedTargets): string {
  return JSON.stringify({
    ...summaryToJSON(summary),
    refusedEntries: [...prepared.refusedEntries()].map(({ index, input, source, reason, message }) => ({
      index,
      input,
      ...(source === undefined ? {} : { source }),
      reason,
      message,
    })),
  });
}

/**
 * A whole number of at least `min`, or a {@link UsageError} naming the option.
 * @internal
 */
export function integer(text: string, option: string, min: number): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`${option} must be an integer of at least ${min}; got '${text}'`);
  }
  return Number(text);
}

async function readUsageFile(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${path}: ${(error as Error).message}`);
  }
}
