import { describe, expect, it } from 'vitest';
import { DISABLED_FLAG, organizationCatalogue, PASSIVE_FLAG } from './organization-catalogue.js';
import type { Organization } from './scan-definition.js';

const org = (id: string, extra: Partial<Organization> = {}): Organization => ({
  id,
  name: id.toUpperCase(),
  passive: false,
  tags: [],
  ...extra,
});

const deepFrozen = (organizations: Organization[]): readonly Organization[] =>
  Object.freeze(
    organizations.map((organization) => {
      Object.freeze(organization.tags);
      return Object.freeze(organization);
    }),
  );

describe('organizationCatalogue', () => {
  it('orders by id and indexes by id, by tag (each organization once) and by flags', () => {
    const catalogue = organizationCatalogue([
      org('c', { tags: ['web', 'web'] }),
      org('a', { passive: true, tags: ['web'] }),
      org('b', { enabled: false, passive: true }),
    ]);
    expect(catalogue.ids).toEqual(['a', 'b', 'c']);
    expect(catalogue.indexById.get('c')).toBe(2);
    expect(catalogue.indexesByTag.get('web')).toEqual([0, 2]);
    expect([...catalogue.flags]).toEqual([PASSIVE_FLAG, DISABLED_FLAG | PASSIVE_FLAG, 0]);
    // A disabled passive organization is not one a global scan must be told to leave alone.
    expect(catalogue.passiveIds).toEqual(['a']);
  });

  it('makes one frozen payload entry per organization, with its scope', () => {
    const scope = { ipBlocks: ['127.0.0.1/32'] };
    const catalogue = organizationCatalogue([org('a', { scope }), org('b')]);
    const entry = catalogue.entry(0);
    expect(entry).toEqual({ id: 'a', name: 'A', scope });
    expect(Object.isFrozen(entry)).toBe(true);
    expect(catalogue.entry(0)).toBe(entry);
    expect(catalogue.entry(1)).toEqual({ id: 'b', name: 'B' });
  });

  it('keeps the catalogue of a deep-frozen list, and only of one', () => {
    const frozen = deepFrozen([org('b'), org('a')]);
    expect(organizationCatalogue(frozen)).toBe(organizationCatalogue(frozen));

    const mutable = [org('a')];
    const first = organizationCatalogue(mutable);
    mutable.push(org('b'));
    // A list that can change is catalogued afresh every time.
    expect(organizationCatalogue(mutable)).not.toBe(first);
    expect(organizationCatalogue(mutable).ids).toEqual(['a', 'b']);

    // A frozen list of organizations that can still change is not kept either.
    const shallow = Object.freeze([org('a', { tags: ['x'] })]);
    const before = organizationCatalogue(shallow);
    (shallow[0] as Organization).tags.push('y');
    const after = organizationCatalogue(shallow);
    expect(after).not.toBe(before);
    expect(after.indexesByTag.get('y')).toEqual([0]);
  });
});
