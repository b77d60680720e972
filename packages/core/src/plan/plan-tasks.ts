import { ScanplaneError } from '../errors/scanplane-error.js';
import type { AddressSet, OrderOptions } from '../targets/address-set.js';
import { formatIpv4 } from '../targets/ipv4.js';
import { formatIpv6 } from '../targets/ipv6.js';
import { type HostnameIndex, PreparedTargets } from '../targets/prepared-targets.js';
import { PortSet } from './port-set.js';
import { taskKey } from './task-key.js';

/**
 * How to cut prepared targets into tasks. Without `maxAddressesPerTask` and `maxPortsPerTask` there is one task per
 * address with every port (Tasker's model). With either, tasks are blocks: a run of at most `maxAddressesPerTask`
 * addresses (default 1) × a chunk of at most `maxPortsPerTask` ports (default all), so a /8 full-port scan is
 * thousands of tasks instead of millions.
 *
 * @example
 * ```ts
 * import type { PlanTasksOptions } from '@scanplane/core';
 * const perIp: PlanTasksOptions = { ports: '22,80,443', scope: 'acme' };
 * const blocks: PlanTasksOptions = { ports: '1-65535', maxAddressesPerTask: 4096, maxPortsPerTask: 16384, seed: 7 };
 * ```
 */
export interface PlanTasksOptions extends OrderOptions {
  /** The ports to scan on every address. */
  ports: PortSet | string;
  /** The dedup scope (a project), part of every task's idempotency key. Default `''`. */
  scope?: string;
  /** Largest number of addresses in one block task. */
  maxAddressesPerTask?: number;
  /** Largest number of ports in one block task. */
  maxPortsPerTask?: number;
}

/**
 * One planned task: addresses × ports, with the hostnames that resolved to its addresses and its idempotency key.
 *
 * @example
 * ```ts
 * import { AddressSet, planTasks } from '@scanplane/core';
 * const [task] = planTasks(AddressSet.parse(['192.0.2.1']), { ports: '443,80' });
 * task; // { granularity: 'ip', ip: '192.0.2.1', addresses: ['192.0.2.1/32'], ports: '80,443', hostnames: [], … }
 * ```
 */
export interface PlannedTask {
  /** `ip` for one address with all ports; `block` for a run of addresses × a port chunk. */
  granularity: 'ip' | 'block';
  /** The address, for `ip` tasks. */
  ip?: string;
  /** The addresses as their minimal CIDR cover. */
  addresses: string[];
  /** Number of addresses in the task. */
  addressCount: number;
  /** The canonical port specification. */
  ports: string;
  /** Number of (protocol, port) pairs in the task. */
  portCount: number;
  /** Hostnames that resolved to the task's addresses, in address order, then input order. */
  hostnames: string[];
  /** Deterministic idempotency key over scope, addresses and ports ({@link taskKey}). */
  key: string;
}

/**
 * Plans tasks over prepared targets (or a bare {@link AddressSet}), lazily: nothing beyond the current task is
 * materialised, so a /8 can be planned in constant memory. Ascending address order unless a seed is given; one
 * shard of the order when `shard` is given.
 *
 * @throws {@link ScanplaneError} `PORTS_INVALID` or `INVALID_ARGUMENT` for bad options.
 * @example
 * ```ts
 * import { AddressSet, planTasks } from '@scanplane/core';
 * const targets = AddressSet.parse(['10.0.0.0/22']);
 * const tasks = [...planTasks(targets, { ports: '1-65535', maxAddressesPerTask: 256, maxPortsPerTask: 32768 })];
 * tasks.length; // 8: four /24s × two port halves
 * ```
 */
export function* planTasks(
  targets: PreparedTargets | AddressSet,
  options: PlanTasksOptions,
): Generator<PlannedTask> {
  const ports = typeof options.ports === 'string' ? PortSet.parse(options.ports) : options.ports;
  if (ports.isEmpty) throw new ScanplaneError('PORTS_INVALID', 'the port set is empty');
  const set = targets instanceof PreparedTargets ? targets.addresses : targets;
  const hostnames = targets instanceof PreparedTargets ? targets.hostnameIndex : undefined;
  const scope = options.scope ?? '';
  const order: OrderOptions = {};
  if (options.seed !== undefined) order.seed = options.seed;
  if (options.shard !== undefined) order.shard = options.shard;
  const blockMode = options.maxAddressesPerTask !== undefined || options.maxPortsPerTask !== undefined;

  if (!blockMode) {
    const portText = ports.toString();
    const portCount = ports.size;
    for (const chunk of set.chunks(order)) {
      for (const value of chunk.values) {
        const ip = chunk.family === 4 ? formatIpv4(value as number) : formatIpv6(value as bigint);
        const cidr = `${ip}/${chunk.family === 4 ? 32 : 128}`;
        const names =
          chunk.family === 4 ? hostnames?.getV4(value as number) : hostnames?.getV6(value as bigint);
        yield {
          granularity: 'ip',
          ip,
          addresses: [cidr],
          addressCount: 1,
          ports: portText,
          portCount,
          hostnames: names === undefined ? [] : [...names],
          key: taskKey({ scope, addresses: [cidr], ports: portText }),
        };
      }
    }
    return;
  }

  const portChunks = options.maxPortsPerTask === undefined ? [ports] : ports.chunks(options.maxPortsPerTask);
  for (const block of set.blocks({ ...order, size: options.maxAddressesPerTask ?? 1 })) {
    const addresses = [...block.cidrs()];
    const names = blockHostnames(block, hostnames);
    for (const chunk of portChunks) {
      const portText = chunk.toString();
      yield {
        granularity: 'block',
        addresses,
        addressCount: Number(block.size),
        ports: portText,
        portCount: chunk.size,
        hostnames: names,
        key: taskKey({ scope, addresses, ports: portText }),
      };
    }
  }
}

function blockHostnames(block: AddressSet, index: HostnameIndex | undefined): string[] {
  const names: string[] = [];
  if (index === undefined || index.size === 0) return names;
  for (let i = 0; i < block.v4.length; i++)
    index.inV4Range(block.v4.starts[i] as number, block.v4.ends[i] as number, names);
  for (let i = 0; i < block.v6.length; i++)
    index.inV6Range(block.v6.starts[i] as bigint, block.v6.ends[i] as bigint, names);
  return names;
}
