import { describe, expect, it } from 'vitest';
import { SkipLog, skipCode } from './skip-log.js';

describe('SkipLog', () => {
  it('reads back every skip in scan, then organization order, with due times and details', () => {
    const organizations = Array.from({ length: 30_000 }, (_, i) => `org-${String(i).padStart(5, '0')}`);
    const log = new SkipLog(['s0', 's1'], organizations);
    const NOT_DUE = skipCode('not-due');
    const ACTIVE = skipCode('already-active');
    // Scan 1 first, organizations in reverse: more due times than one block holds, and a log that must grow.
    for (let i = organizations.length - 1; i >= 0; i--) {
      if (i % 3 === 0) log.add(1, i, ACTIVE);
      else log.add(1, i, NOT_DUE, 1_000_000 + i);
    }
    log.add(0, -1, skipCode('scan-disabled'), undefined, 'the scan is disabled');
    log.add(0, 7, NOT_DUE, Number.NaN);
    expect(log.length).toBe(organizations.length + 2);

    const skips = log.toArray();
    expect(skips.slice(0, 2)).toEqual([
      { scanId: 's0', reason: 'scan-disabled', detail: 'the scan is disabled' },
      { scanId: 's0', organizationId: 'org-00007', reason: 'not-due' },
    ]);
    const scan1 = skips.slice(2);
    expect(scan1.map((skip) => skip.organizationId)).toEqual(organizations);
    scan1.forEach((skip, i) => {
      expect(skip.scanId).toBe('s1');
      if (i % 3 === 0)
        expect(skip).toEqual({ scanId: 's1', organizationId: organizations[i], reason: 'already-active' });
      else
        expect(skip).toEqual({
          scanId: 's1',
          organizationId: organizations[i],
          reason: 'not-due',
          dueAt: 1_000_000 + i,
        });
    });
  });

  it('keeps scans apart when one scan comes back after another', () => {
    const log = new SkipLog(['a', 'b'], ['x', 'y']);
    log.add(1, 1, skipCode('not-selected'));
    log.add(0, 0, skipCode('not-selected'));
    log.add(1, 0, skipCode('not-selected'));
    expect(log.toArray().map((skip) => `${skip.scanId}/${skip.organizationId}`)).toEqual([
      'a/x',
      'b/x',
      'b/y',
    ]);
  });

  it('keeps due times exactly, however far apart or fractional', () => {
    const log = new SkipLog(['s'], ['a', 'b', 'c', 'd', 'e']);
    const NOT_DUE = skipCode('not-due');
    const base = Date.parse('2026-01-15T12:00:00Z');
    log.add(0, 4, NOT_DUE, base);
    log.add(0, 3, NOT_DUE, base + 2 ** 31); // beyond a 32-bit offset
    log.add(0, 2, NOT_DUE, base - 400 * 86_400_000);
    log.add(0, 1, NOT_DUE, base + 0.5);
    log.addVerdict(0, 0, NOT_DUE, { dueAt: base - 1, detail: 'why' });
    expect(log.toArray().map((skip) => [skip.organizationId, skip.dueAt, skip.detail])).toEqual([
      ['a', base - 1, 'why'],
      ['b', base + 0.5, undefined],
      ['c', base - 400 * 86_400_000, undefined],
      ['d', base + 2 ** 31, undefined],
      ['e', base, undefined],
    ]);
  });

  it('counts a pair once: a second skip of it replaces the first reason', () => {
    const log = new SkipLog(['s'], ['a']);
    log.add(0, 0, skipCode('not-selected'));
    log.add(0, 0, skipCode('already-active'));
    log.add(0, -1, skipCode('scan-disabled'));
    log.add(0, -1, skipCode('unknown-type'));
    expect(log.length).toBe(2);
    expect(log.toArray().map((skip) => skip.reason)).toEqual(['unknown-type', 'already-active']);
  });
});
