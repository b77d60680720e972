import type { PortSet } from '@scanplane/core';
import { parseNmapPorts, resolveNmapOptions } from './nmap/nmap-options.js';

/**
 * Checks what a run request asks of one kind before any task is created, with the same rules its handler applies
 * in the worker: for `nmap`, the ports (TCP only unless privileged scans are allowed, at most `maxPorts`) and the
 * `nmap` options (known keys, bounds). A request nmap would refuse is answered 400 instead of queuing tasks that
 * would all fail.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming the option or the ports, or `PORTS_INVALID`.
 * @example
 * ```ts
 * import { PortSet } from '@scanplane/core';
 * import { checkKindOptions } from './kind-checks.js';
 * checkKindOptions('nmap', PortSet.parse('22,80'), { nmap: { timing: 4 } });
 * ```
 */
export function checkKindOptions(
  kind: string,
  ports: PortSet,
  payload: Record<string, unknown> | undefined,
): void {
  if (kind !== 'nmap') return;
  parseNmapPorts(ports, {}, 'the request\'s "ports"');
  resolveNmapOptions(payload?.['nmap'] ?? {}, { source: 'the request\'s "nmap"' });
}
