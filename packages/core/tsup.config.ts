import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // p-limit and its queue are ESM-only; bundling them keeps the CommonJS build loadable with require().
    noExternal: ['p-limit', 'yocto-queue'],
  },
  {
    // `@scanplane/core/testing`: the port conformance suites for adapters. ESM only: they register tests with the
    // adapter's own vitest (an optional peer dependency), and vitest cannot be loaded with require().
    entry: { testing: 'src/testing/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    noExternal: ['p-limit', 'yocto-queue'],
    external: ['vitest'],
  },
]);
