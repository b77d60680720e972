import { sampleScanTask } from '@scanplane/core/testing';
import { describe, expect, it } from 'vitest';
import { containerNameFor, sanitizeNamePart } from './container-name.js';

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

describe('sanitizeNamePart', () => {
  it('fits Docker’s naming rule and never contains the part separator', () => {
    expect(sanitizeNamePart('Acme Energy / Power+')).toBe('acme-energy-power');
    expect(sanitizeNamePart('Société Générale')).toBe('societe-generale');
    expect(sanitizeNamePart('__weird__name__')).toBe('weird-name');
    expect(sanitizeNamePart('...')).toBe('x');
    expect(sanitizeNamePart('')).toBe('x');
    expect(sanitizeNamePart('a'.repeat(100))).toHaveLength(40);
  });
});

describe('containerNameFor', () => {
  const id = '3f2a9c01-b7e4-4d21-9a5e-0123456789ab';

  it('names one organization by its name, with the scan name, short id and attempt', () => {
    const task = sampleScanTask({
      id,
      attempt: 0,
      scanId: 'scan-1',
      payload: { scanName: 'portscan', organizations: [{ id: 'o1', name: 'Acme Energy' }] },
    });
    expect(containerNameFor(task, 'scanplane')).toBe('scanplane_acme-energy_portscan_3f2a9c01b7e4-1');
  });

  it('names a batch by its first organization and how many more (never "undefined")', () => {
    const task = sampleScanTask({
      id,
      attempt: 1,
      scanId: 'scan-1',
      payload: {
        scanName: 'portscan',
        organizations: [
          { id: 'o1', name: 'Acme' },
          { id: 'o2', name: 'Globex' },
          { id: 'o3', name: 'Initech' },
        ],
      },
    });
    const name = containerNameFor(task, 'scanplane');
    expect(name).toBe('scanplane_acme-and-2-more_portscan_3f2a9c01b7e4-2');
    expect(name).not.toContain('undefined');
  });

  it('uses global for a scheduled task without organizations, and the project for a target task', () => {
    const global = sampleScanTask({
      id,
      attempt: 0,
      scanId: 'census',
      payload: { scanName: 'census', organizations: [] },
    });
    expect(containerNameFor(global, 'sp')).toBe('sp_global_census_3f2a9c01b7e4-1');
    const target = sampleScanTask({ id, attempt: 0, project: 'Lab Project', kind: 'tcp-connect' });
    expect(containerNameFor(target, 'sp')).toBe('sp_lab-project_tcp-connect_3f2a9c01b7e4-1');
  });

  it('always yields a valid Docker name, different per attempt', () => {
    const task = sampleScanTask({ id: '!!', project: '../..', kind: ' ', attempt: 0 });
    const name = containerNameFor(task, ' My Prefix ');
    expect(name).toMatch(DOCKER_NAME);
    expect(containerNameFor({ ...task, attempt: 1 }, 'p')).not.toBe(containerNameFor(task, 'p'));
  });
});
