// The entrypoint of the worker image (bundled to dist/worker.js and baked in by scripts/build-worker-image.mjs):
// reads its command options from SCANPLANE_COMMAND_OPTIONS, runs the handler of their kind, prints the
// `SCANPLANE_RESULT` or `SCANPLANE_ERROR` line the launcher reads, and exits with the entrypoint's code. SIGTERM and
// SIGINT abort the handler (exit 130). Run it under an init process (`--init`): node as PID 1 ignores SIGTERM.
import { runEntrypoint } from '@scanplane/core';
import { workerHandlers } from './worker-handlers.js';

const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => controller.abort(new Error(`received ${signal}`));
process.once('SIGTERM', onSignal);
process.once('SIGINT', onSignal);

const code = await runEntrypoint({ handlers: workerHandlers(), signal: controller.signal });
process.exitCode = code;
// Leave once stdout is flushed, whatever a handler left behind (an interval, a socket).
process.stdout.write('', () => process.exit(code));
