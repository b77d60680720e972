// The entrypoint of the org-scans worker image (bundled and baked in by ../image/worker-image.ts): reads the task's
// command options from SCANPLANE_COMMAND_OPTIONS, runs the handler of its scan type (portscan, discovery, test),
// prints the `SCANPLANE_RESULT` or `SCANPLANE_ERROR` line the launcher reads, and exits with the core entrypoint's
// code. SIGTERM and SIGINT abort the handler (exit 130); the launcher runs it with `--init`, so the signal arrives.
//
// ORG_SCANS_ALLOW (comma-separated address blocks), when set, is the deployment's allow-list: nothing outside it is
// scanned, whatever an organization's scope says.
import { runEntrypoint } from '@scanplane/core';
import { orgScansHandlers } from './worker-handlers.js';

const allow = (process.env['ORG_SCANS_ALLOW'] ?? '')
  .split(',')
  .map((block) => block.trim())
  .filter((block) => block !== '');

const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => controller.abort(new Error(`received ${signal}`));
process.once('SIGTERM', onSignal);
process.once('SIGINT', onSignal);

const code = await runEntrypoint({ handlers: orgScansHandlers({ allow }), signal: controller.signal });
process.exitCode = code;
// Leave once stdout is flushed, whatever a handler left behind (a resolver's socket, a timer).
process.stdout.write('', () => process.exit(code));
