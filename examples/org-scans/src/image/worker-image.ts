import { execFile as execFileCallback } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ScanplaneError } from '@scanplane/core';
import { bundleWorker } from './bundle-worker.js';

const execFile = promisify(execFileCallback);

/** The image this example's workers run by default. */
export const ORG_SCANS_IMAGE = 'scanplane-org-scans-worker:dev';

/** The label holding the digest of the bundle and base image an org-scans image was built from. */
export const DIGEST_LABEL = 'io.scanplane.org-scans-digest';

/**
 * Options of {@link buildWorkerImage}.
 *
 * @example
 * ```ts
 * import type { WorkerImageOptions } from './worker-image.js';
 * const options: WorkerImageOptions = { dockerHost: 'unix:///run/docker.sock', baseImage: 'scanplane-worker:dev' };
 * ```
 */
export interface WorkerImageOptions {
  /** The daemon (`unix:///…`). Default `DOCKER_HOST`, else the docker CLI's default. */
  dockerHost?: string;
  /**
   * The `@scanplane/docker` worker image to build on (it holds node and nothing else the example needs). Built with
   * the adapter's `scripts/build-worker-image.mjs` when missing. Default `scanplane-worker:dev`.
   */
  baseImage?: string;
  /** The tag of the image built. Default {@link ORG_SCANS_IMAGE}. */
  tag?: string;
  /** Rebuild even when the digest label is current. */
  force?: boolean;
  /** Told what happens (one line per step). */
  log?: (line: string) => void;
}

async function docker(args: string[], dockerHost: string | undefined, extraEnv: Record<string, string> = {}) {
  try {
    return await execFile('docker', args, {
      env: { ...process.env, ...(dockerHost === undefined ? {} : { DOCKER_HOST: dockerHost }), ...extraEnv },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failure = error as Error & { code?: unknown; stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new ScanplaneError('UNAVAILABLE', 'the docker CLI was not found: apt-get install -y docker.io', {
        cause: error,
      });
    }
    throw new ScanplaneError(
      'UNAVAILABLE',
      `docker ${args.slice(0, 2).join(' ')} failed: ${(failure.stderr ?? failure.message).trim()}`,
      { cause: error, details: { dockerHost: dockerHost ?? null } },
    );
  }
}

/** A field of an image, or undefined when the image does not exist. */
async function inspect(image: string, format: string, dockerHost: string | undefined) {
  try {
    const { stdout } = await docker(['image', 'inspect', '--format', format, image], dockerHost);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** Builds the adapter's worker image with its own script (no registry: a `docker import` of this node). */
async function buildBaseImage(baseImage: string, dockerHost: string | undefined): Promise<void> {
  const packageJson = createRequire(import.meta.url).resolve('@scanplane/docker/package.json');
  const script = join(dirname(packageJson), 'scripts', 'build-worker-image.mjs');
  try {
    await execFile(process.execPath, [script, '--tag', baseImage, '--quiet'], {
      env: { ...process.env, ...(dockerHost === undefined ? {} : { DOCKER_HOST: dockerHost }) },
      timeout: 300_000,
    });
  } catch (error) {
    throw new ScanplaneError(
      'UNAVAILABLE',
      `building ${baseImage} with ${script} failed: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}`,
      { cause: error },
    );
  }
}

/**
 * Builds the org-scans worker image: `FROM` the `@scanplane/docker` worker image (built first if missing), plus
 * one bundle of this example's entrypoint (`src/worker/worker-main.ts` with `@scanplane/core`) as its
 * `ENTRYPOINT`, running as `65534:65534`. Nothing is pulled. An image whose digest label matches the bundle and the
 * base image is kept. Returns the tag.
 *
 * The adapter's image cannot run example code by itself (its entrypoint is its own bundle, and the launcher has no
 * entrypoint or mount option), hence this derived image.
 *
 * @throws {@link ScanplaneError} `UNAVAILABLE` when the daemon, the docker CLI or a build fails.
 * @example
 * ```ts
 * import { buildWorkerImage } from './worker-image.js';
 * const image = await buildWorkerImage({ dockerHost: process.env.DOCKER_HOST });
 * ```
 */
export async function buildWorkerImage(options: WorkerImageOptions = {}): Promise<string> {
  const dockerHost = options.dockerHost ?? process.env['DOCKER_HOST'];
  const baseImage = options.baseImage ?? 'scanplane-worker:dev';
  const tag = options.tag ?? ORG_SCANS_IMAGE;
  const log = options.log ?? (() => undefined);
  await docker(['version', '--format', '{{.Server.Version}}'], dockerHost);

  let baseId = await inspect(baseImage, '{{.Id}}', dockerHost);
  if (baseId === undefined) {
    log(`building the base image ${baseImage} (@scanplane/docker scripts/build-worker-image.mjs)`);
    await buildBaseImage(baseImage, dockerHost);
    baseId = await inspect(baseImage, '{{.Id}}', dockerHost);
    if (baseId === undefined)
      throw new ScanplaneError('UNAVAILABLE', `${baseImage} is missing after its build`);
  }
  const bundle = await bundleWorker();
  const digest = createHash('sha256').update(baseId).update(bundle).digest('hex').slice(0, 16);
  if (
    !options.force &&
    (await inspect(tag, `{{ index .Config.Labels "${DIGEST_LABEL}" }}`, dockerHost)) === digest
  ) {
    log(`${tag} is up to date (digest ${digest})`);
    return tag;
  }

  log(`building ${tag} FROM ${baseImage} with the org-scans worker bundle`);
  const context = await mkdtemp(join(tmpdir(), 'org-scans-image-'));
  try {
    await writeFile(join(context, 'org-scans-worker.mjs'), bundle);
    await writeFile(
      join(context, 'Dockerfile'),
      [
        `FROM ${baseImage}`,
        'COPY org-scans-worker.mjs /opt/org-scans/worker.mjs',
        `LABEL ${DIGEST_LABEL}=${digest}`,
        'USER 65534:65534',
        'ENTRYPOINT ["/usr/local/bin/node", "/opt/org-scans/worker.mjs"]',
        '',
      ].join('\n'),
    );
    // The classic builder needs no BuildKit or buildx.
    await docker(['build', '--quiet', '-t', tag, context], dockerHost, { DOCKER_BUILDKIT: '0' });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  log(`built ${tag}`);
  return tag;
}
