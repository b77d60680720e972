import { describe, expect, it } from 'vitest';
import { AddressSet } from './address-set.js';
import { classifyAddress, SPECIAL_PURPOSE_BLOCKS, type SpecialPurposeReason } from './special-purpose.js';

type Case = [address: string, reason: SpecialPurposeReason | undefined];

describe('classifyAddress: refused by default', () => {
  it.each<Case>([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.0', 'multicast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['ff00::', 'multicast'],
    ['ff02::1', 'multicast'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast'],
    ['240.0.0.0', 'reserved'],
    ['250.1.2.3', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['4000::1', 'reserved'],
    ['7fff:ffff::1', 'reserved'],
    ['::2', 'reserved'],
    ['::1.2.3.4', 'reserved'],
    ['ff::1', 'reserved'],
    ['::ffff:224.0.0.1', 'multicast'],
    ['::ffff:0.0.0.1', 'unspecified'],
  ])('%s is %s', (address, reason) => {
    expect(classifyAddress(address)).toBe(reason);
    expect(classifyAddress(address, { publicOnly: true })).toBe(reason);
  });
});

describe('classifyAddress: allowed by default, refused with publicOnly', () => {
  it.each<Case>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['febf:ffff::1', 'link_local'],
    ['100.64.0.0', 'carrier_grade_nat'],
    ['100.127.255.255', 'carrier_grade_nat'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.200', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff:ffff::1', 'documentation'],
    ['192.0.0.8', 'not_global'],
    ['198.18.0.1', 'not_global'],
    ['198.19.255.255', 'not_global'],
    ['2001::1', 'not_global'],
  ])('%s is allowed by default and %s with publicOnly', (address, reason) => {
    expect(classifyAddress(address)).toBeUndefined();
    expect(classifyAddress(address, { publicOnly: true })).toBe(reason);
  });
});

describe('classifyAddress: public addresses', () => {
  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '169.253.255.255',
    '223.255.255.255',
    '1.0.0.0',
    '9.255.255.255',
    '11.0.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '2606:4700:4700::1111',
    '2a00:1450::1',
    '2001:db7:ffff:ffff::1',
    '2001:db9::1',
    '::ffff:8.8.8.8',
  ])('%s is allowed even with publicOnly', (address) => {
    expect(classifyAddress(address)).toBeUndefined();
    expect(classifyAddress(address, { publicOnly: true })).toBeUndefined();
  });

  it('returns undefined for text that is not an address', () => {
    expect(classifyAddress('example.com')).toBeUndefined();
  });
});

describe('SPECIAL_PURPOSE_BLOCKS', () => {
  it('marks the five always-refused reasons as default and the rest as publicOnly', () => {
    const when = new Map(SPECIAL_PURPOSE_BLOCKS.map((b) => [b.reason, b.when]));
    for (const reason of ['unspecified', 'broadcast', 'multicast', 'reserved'] as const) {
      expect(when.get(reason)).toBe('default');
    }
    for (const reason of [
      'private',
      'loopback',
      'link_local',
      'carrier_grade_nat',
      'documentation',
      'not_global',
    ] as const) {
      expect(when.get(reason)).toBe('publicOnly');
    }
  });

  it('every block parses, and each has a reference', () => {
    for (const block of SPECIAL_PURPOSE_BLOCKS) {
      expect(AddressSet.parse(block.cidrs).isEmpty).toBe(false);
      if (block.except) AddressSet.parse(block.except);
      expect(block.reference.length).toBeGreaterThan(0);
    }
  });

  it('the private block covers exactly the RFC 1918 and ULA space', () => {
    const privateBlock = SPECIAL_PURPOSE_BLOCKS.find((b) => b.reason === 'private');
    expect(privateBlock).toBeDefined();
    const set = AddressSet.parse(privateBlock?.cidrs ?? []);
    expect(set.equals(AddressSet.parse(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']))).toBe(
      true,
    );
  });
});
