import { fileURLToPath } from 'node:url';
import { ScanplaneError } from '@scanplane/core';
import { build } from 'esbuild';

/** The worker entrypoint this example bakes into its image. */
export const WORKER_ENTRY = fileURLToPath(new URL('../worker/worker-main.ts', import.meta.url));

/**
 * Bundles the worker entrypoint ({@link WORKER_ENTRY}) and everything it imports (`@scanplane/core` and its
 * dependencies) into one ES module for Node 20: what the worker image runs, with nothing else installed.
 *
 * @throws {@link ScanplaneError} `INTERNAL` when the bundle fails.
 * @example
 * ```ts
 * import { bundleWorker } from './bundle-worker.js';
 * const code = await bundleWorker();
 * code.length > 0; // true
 * ```
 */
export async function bundleWorker(entry: string = WORKER_ENTRY): Promise<Uint8Array> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
      // Module path comments are relative to this: the same bundle (and image digest) from any working directory.
      absWorkingDir: fileURLToPath(new URL('../..', import.meta.url)),
      // CommonJS dependencies bundled into an ES module still call require() for node built-ins.
      banner: {
        js: "import { createRequire as __orgScansRequire } from 'node:module';\nconst require = __orgScansRequire(import.meta.url);",
      },
    });
    const output = result.outputFiles?.[0];
    if (output === undefined) throw new Error('esbuild produced no output');
    return output.contents;
  } catch (error) {
    throw new ScanplaneError('INTERNAL', `bundling ${entry} failed: ${(error as Error).message}`, {
      cause: error,
      details: { entry },
    });
  }
}
