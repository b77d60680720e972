import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // p-limit and its queue are ESM-only; bundling them keeps the CommonJS build loadable with require().
  noExternal: ['p-limit', 'yocto-queue'],
});
