import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { type ScanDefinition, validateOrganization, validateScanDefinition } from './scan-definition.js';

const valid: ScanDefinition = { id: 's', type: 'amass', frequencySeconds: 60 };

function refusal(scan: unknown): string {
  try {
    validateScanDefinition(scan as ScanDefinition);
  } catch (error) {
    expect(isScanplaneError(error) && error.code).toBe('INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('validateScanDefinition', () => {
  it('accepts a frequency or a cron schedule with a time zone', () => {
    expect(validateScanDefinition(valid)).toBe(valid);
    expect(
      validateScanDefinition({ id: 'c', type: 'x', cron: '0 3 * * *', timezone: 'Europe/Berlin' }).cron,
    ).toBe('0 3 * * *');
  });

  it.each([
    [{ ...valid, id: '' }, "'id' must be a non-empty string"],
    [{ ...valid, type: '' }, 'scan s, type: must be a non-empty string'],
    [{ id: 's', type: 'x' }, 'exactly one of frequencySeconds and cron'],
    [{ ...valid, cron: '* * * * *' }, 'exactly one of frequencySeconds and cron'],
    [{ ...valid, frequencySeconds: 0 }, 'frequencySeconds: must be a positive integer, got 0'],
    [{ ...valid, frequencySeconds: 1.5 }, 'got 1.5'],
    [{ id: 's', type: 'x', cron: 'every day' }, 'scan s, cron:'],
    [{ id: 's', type: 'x', cron: '0 0 30 2 *' }, 'never fires'],
    [{ id: 's', type: 'x', cron: '0 3 * * *', timezone: 'Mars/Olympus' }, 'Mars/Olympus'],
    [{ ...valid, timezone: 'UTC' }, 'applies to cron schedules only'],
    [{ ...valid, chunks: 101 }, 'chunks: must be an integer from 1 to 100, got 101'],
    [{ ...valid, chunks: 0 }, 'got 0'],
    [{ ...valid, organizationsPerTask: -1 }, 'organizationsPerTask'],
    [{ ...valid, jitterSeconds: -5 }, 'jitterSeconds'],
    [{ ...valid, granular: { tags: [3] } }, 'granular.tags'],
    [{ ...valid, dependsOn: ['s'] }, 'cannot depend on itself'],
    [{ ...valid, resources: { cpu: 'lots' } }, 'resources.cpu'],
    [{ ...valid, arguments: [1] }, 'arguments: must be a JSON object'],
    [{ ...valid, manualRunRequestedAt: 'now' }, 'manualRunRequestedAt'],
  ])('refuses %j, saying where: %s', (scan, message) => {
    expect(refusal(scan)).toContain(message);
  });
});

describe('validateOrganization', () => {
  it('accepts an organization and refuses a broken one, saying which field', () => {
    const acme = {
      id: 'acme',
      name: 'Acme',
      passive: false,
      tags: ['x'],
      scope: { ipBlocks: ['192.0.2.0/24'] },
    };
    expect(validateOrganization(acme)).toBe(acme);
    expect(() => validateOrganization({ ...acme, passive: 'no' as never })).toThrow(
      'organization acme, passive',
    );
    expect(() => validateOrganization({ ...acme, tags: 'x' as never })).toThrow('organization acme, tags');
    expect(() => validateOrganization({ ...acme, scope: { rootDomains: [''] } })).toThrow(
      'scope.rootDomains',
    );
    expect(() => validateOrganization({ ...acme, id: '' })).toThrow("'id' must be a non-empty string");
  });
});
