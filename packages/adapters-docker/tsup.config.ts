import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // @scanplane/postgres and @scanplane/rabbitmq: optional peers, imported only by runPullWorkerProcess.
    external: ['dockerode', '@scanplane/core', '@scanplane/postgres', '@scanplane/rabbitmq'],
  },
  {
    // The worker entrypoint baked into the worker image (scripts/build-worker-image.mjs): one self-contained ESM file
    // with @scanplane/core bundled in, so the image needs nothing but the node binary.
    entry: { worker: 'src/worker/worker-main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  },
  {
    // The pull worker baked into the same image (/opt/scanplane/pull-worker.mjs, PULL_WORKER_ENTRYPOINT): a long-lived
    // createWorker on RabbitMQ and PostgreSQL, also one self-contained ESM file (@scanplane/core, @scanplane/postgres,
    // @scanplane/rabbitmq, pg and amqplib bundled in). pg's optional native binding is left out: pg only loads it
    // when asked to (`pg.native`), which the store never does.
    entry: { 'pull-worker': 'src/worker/pull-worker-main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    external: ['pg-native'],
    // One file: the dynamic imports of runPullWorkerProcess are inlined, not split into chunks the image lacks.
    splitting: false,
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  },
]);
