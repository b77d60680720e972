import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSet } from '../targets/address-set.js';
import { PortSet } from './port-set.js';
import { taskKey } from './task-key.js';

/** The key of some work given as loose address and port text, canonicalised as planTasks does. */
function keyOfWork(scope: string, addresses: string[], ports: string): string {
  return taskKey({
    scope,
    addresses: [...AddressSet.parse(addresses).cidrs()],
    ports: PortSet.parse(ports).toString(),
  });
}

describe('taskKey', () => {
  const base = { scope: 'acme', addresses: ['192.0.2.0/30'], ports: '80,443' };

  it('is a 64-character hex SHA-256, the same for the same work', () => {
    const key = taskKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(taskKey({ ...base, addresses: [...base.addresses] })).toBe(key);
  });

  it('differs for a different scope, addresses, ports or protocol', () => {
    const key = taskKey(base);
    const variants = [
      { ...base, scope: 'other' },
      { ...base, scope: '' },
      { ...base, addresses: ['192.0.2.0/31'] },
      { ...base, addresses: ['192.0.2.4/30'] },
      { ...base, addresses: ['192.0.2.0/30', '192.0.2.8/32'] },
      { ...base, addresses: [] },
      { ...base, ports: '80' },
      { ...base, ports: '80,444' },
      { ...base, ports: 'T:80,443' },
      { ...base, ports: 'U:80,443' },
    ];
    const keys = new Set([key, ...variants.map(taskKey)]);
    expect(keys.size).toBe(variants.length + 1);
    expect(taskKey({ scope: 's', addresses: ['10.0.0.1/32'], ports: 'T:53' })).not.toBe(
      taskKey({ scope: 's', addresses: ['10.0.0.1/32'], ports: 'U:53' }),
    );
  });

  it('does not let one field run into the next', () => {
    expect(taskKey({ scope: 'a', addresses: ['10.0.0.1/32'], ports: '80' })).not.toBe(
      taskKey({ scope: 'a\n10.0.0.1/32', addresses: [], ports: '80' }),
    );
  });

  it('is the same for the same work written in any order (through canonical addresses and ports)', () => {
    expect(keyOfWork('acme', ['10.0.0.1', '10.0.0.0'], '443,80')).toBe(
      keyOfWork('acme', ['10.0.0.0/31'], '80,443'),
    );
    expect(keyOfWork('acme', ['10.0.0.3', '10.0.0.0-10.0.0.2'], 'U:53,T:22')).toBe(
      keyOfWork('acme', ['10.0.0.0/30'], 'T:22,U:53'),
    );
  });

  it('order-independence and distinctness, property-based', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 10 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 63 }),
        (hosts, ports, extra) => {
          const addresses = hosts.map((h) => `10.0.0.${h}`);
          const key = keyOfWork('p', addresses, ports.join(','));
          expect(keyOfWork('p', [...addresses].reverse(), [...ports].reverse().join(','))).toBe(key);
          const more = hosts.includes(extra) ? hosts.filter((h) => h !== extra) : [...hosts, extra];
          if (more.length > 0)
            expect(
              keyOfWork(
                'p',
                more.map((h) => `10.0.0.${h}`),
                ports.join(','),
              ),
            ).not.toBe(key);
          expect(keyOfWork('q', addresses, ports.join(','))).not.toBe(key);
          expect(keyOfWork('p', addresses, `U:${ports.join(',')}`)).not.toBe(key);
        },
      ),
      { numRuns: 200 },
    );
  });
});
