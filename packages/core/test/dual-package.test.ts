import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type Core = typeof import('../src/index.js');
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

function built(): { esm: Promise<Core>; cjs: Core } {
  if (!existsSync(`${dist}index.js`) || !existsSync(`${dist}index.cjs`)) {
    throw new Error(`${dist} is missing a build: run pnpm build at the repository root first`);
  }
  const require = createRequire(import.meta.url);
  return { esm: import(`${dist}index.js`), cjs: require(`${dist}index.cjs`) };
}

describe('the built package', () => {
  it('recognises errors across two copies (the ESM and the CommonJS build are distinct classes)', async () => {
    const { esm: esmPromise, cjs } = built();
    const esm = await esmPromise;
    expect(esm.ScanplaneError).not.toBe(cjs.ScanplaneError);
    const fromEsm = new esm.ScanplaneError('TIMEOUT', 'slow lookup');
    const fromCjs = new cjs.ScanplaneError('NOT_FOUND', 'no such task');
    expect(fromEsm instanceof cjs.ScanplaneError).toBe(false);
    expect(cjs.isScanplaneError(fromEsm)).toBe(true);
    expect(esm.isScanplaneError(fromCjs)).toBe(true);
    expect(cjs.toScanplaneError(fromEsm)).toBe(fromEsm);
  });

  it('lists types first in its exports map, for import and require, and ships every file it names', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const root = manifest.exports['.'];
    expect(Object.keys(root.import)[0]).toBe('types');
    expect(Object.keys(root.require)[0]).toBe('types');
    for (const file of [root.import.types, root.import.default, root.require.types, root.require.default]) {
      expect(existsSync(fileURLToPath(new URL(`../${file}`, import.meta.url)))).toBe(true);
    }
  });

  it('loads with require() although p-limit is ESM-only (it is bundled)', () => {
    const { cjs } = built();
    expect(typeof cjs.createDnsResolver({ hostsFile: false }).resolve).toBe('function');
  });
});
