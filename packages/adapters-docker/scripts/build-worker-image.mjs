#!/usr/bin/env node
// Builds the scanplane worker image on the local Docker daemon without any registry:
//
//   1. a base image `scanplane-node-base:<node version>` made by `docker import` of a minimal root filesystem: the
//      node binary running this script, the shared libraries `ldd` lists for it, the dynamic loader, /tmp and an
//      /etc/passwd with `nobody`;
//   2. the worker image (default `scanplane-worker:dev`), `docker build` FROM that base, adding two bundles:
//      - dist/worker.js as /opt/scanplane/worker.mjs, the image's entrypoint (push mode: one task from
//        SCANPLANE_COMMAND_OPTIONS, @scanplane/core's `runEntrypoint` with the `tcp-connect` and `diagnostic` handlers);
//      - dist/pull-worker.js as /opt/scanplane/pull-worker.mjs (pull mode: a long-lived `createWorker` on RabbitMQ and
//        PostgreSQL, configured by SCANPLANE_* variables), run with the entrypoint
//        `/usr/local/bin/node /opt/scanplane/pull-worker.mjs` (PULL_WORKER_ENTRYPOINT of @scanplane/docker).
//
// Usage: node scripts/build-worker-image.mjs [--tag scanplane-worker:dev] [--force] [--quiet]
// It talks to the daemon DOCKER_HOST names (default: /var/run/docker.sock) through the `docker` CLI. Build the
// package first (`pnpm build` at the root: core, postgres and rabbitmq, then docker). An image whose
// `io.scanplane.worker-digest` label matches (same node binary, same bundles) is kept unless --force is given.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const bundle = resolve(here, '..', 'dist', 'worker.js');
const pullBundle = resolve(here, '..', 'dist', 'pull-worker.js');

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1] : fallback;
};
const tag = option('--tag', process.env.SCANPLANE_WORKER_IMAGE || 'scanplane-worker:dev');
const force = argv.includes('--force');
const quiet = argv.includes('--quiet');
const say = (line) => {
  if (!quiet) process.stderr.write(`[build-worker-image] ${line}\n`);
};

function fail(message) {
  process.stderr.write(`[build-worker-image] ${message}\n`);
  process.exit(1);
}

async function docker(args, options = {}) {
  try {
    return await run('docker', args, { maxBuffer: 64 * 1024 * 1024, ...options });
  } catch (error) {
    if (error.code === 'ENOENT')
      fail('the docker CLI was not found: install it (`apt-get install -y docker.io`)');
    throw new Error(`docker ${args.join(' ')} failed: ${error.stderr || error.message}`);
  }
}

/** The shared libraries and loader of a binary, as `ldd` lists them (absolute paths). */
async function librariesOf(binary) {
  const { stdout } = await run('ldd', [binary]);
  const paths = new Set();
  for (const line of stdout.split('\n')) {
    const arrow = line.match(/=>\s*(\/\S+)/);
    if (arrow) paths.add(arrow[1]);
    else {
      const bare = line.trim().match(/^(\/\S+)/);
      if (bare) paths.add(bare[1]);
    }
  }
  return [...paths];
}

async function imageLabel(image, label) {
  try {
    const { stdout } = await docker([
      'image',
      'inspect',
      '--format',
      `{{ index .Config.Labels "${label}" }}`,
      image,
    ]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

async function main() {
  for (const file of [bundle, pullBundle]) {
    if (!existsSync(file)) {
      fail(
        `${file} is missing: build the packages first (\`pnpm build\` at the root, or pnpm --filter '@scanplane/docker...' build)`,
      );
    }
  }
  try {
    await docker(['version', '--format', '{{.Server.Version}}']);
  } catch (error) {
    fail(
      `the Docker daemon does not answer (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}): ${error.message.trim()}\n` +
        'Start one: dockerd --bridge=none --iptables=false --ip-forward=false --data-root <dir>/data --exec-root <dir>/exec ' +
        '-H unix://<dir>/docker.sock, then DOCKER_HOST=unix://<dir>/docker.sock',
    );
  }
  const node = process.execPath;
  const nodeVersion = process.version.replace(/^v/, '');
  const nodeDigest = createHash('sha256').update(readFileSync(node)).digest('hex').slice(0, 16);
  const digest = createHash('sha256')
    .update(nodeDigest)
    .update(readFileSync(bundle))
    .update(readFileSync(pullBundle))
    .digest('hex')
    .slice(0, 16);
  if (!force && (await imageLabel(tag, 'io.scanplane.worker-digest')) === digest) {
    say(`${tag} is up to date (digest ${digest})`);
    process.stdout.write(`${tag}\n`);
    return;
  }

  const work = mkdtempSync(join(tmpdir(), 'scanplane-image-'));
  try {
    const base = `scanplane-node-base:${nodeVersion}`;
    if (force || (await imageLabel(base, 'io.scanplane.node')) !== nodeDigest) {
      say(`making ${base} from ${node} and its libraries`);
      const rootfs = join(work, 'rootfs');
      const put = (source, target) => {
        const destination = join(rootfs, target);
        mkdirSync(dirname(destination), { recursive: true });
        copyFileSync(source, destination); // follows symlinks: the real file lands at the linked path
      };
      put(node, '/usr/local/bin/node');
      chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
      for (const library of await librariesOf(node)) put(library, library);
      mkdirSync(join(rootfs, 'tmp'), { recursive: true });
      chmodSync(join(rootfs, 'tmp'), 0o1777);
      mkdirSync(join(rootfs, 'etc'), { recursive: true });
      writeFileSync(
        join(rootfs, 'etc/passwd'),
        'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
      );
      writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
      const tarball = join(work, 'rootfs.tar');
      await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
      await docker([
        'import',
        '--change',
        `LABEL io.scanplane.node=${nodeDigest}`,
        '--change',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin',
        tarball,
        base,
      ]);
    } else {
      say(`${base} is up to date`);
    }

    say(`building ${tag} FROM ${base} with ${bundle} and ${pullBundle}`);
    const context = join(work, 'context');
    mkdirSync(context);
    copyFileSync(bundle, join(context, 'worker.js'));
    copyFileSync(pullBundle, join(context, 'pull-worker.js'));
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        `FROM ${base}`,
        'COPY worker.js /opt/scanplane/worker.mjs',
        'COPY pull-worker.js /opt/scanplane/pull-worker.mjs',
        `LABEL io.scanplane.worker-digest=${digest} io.scanplane.node-version=${nodeVersion}`,
        'USER 65534:65534',
        'ENTRYPOINT ["/usr/local/bin/node", "/opt/scanplane/worker.mjs"]',
        '',
      ].join('\n'),
    );
    // The classic builder: it needs no BuildKit or buildx, and works with every daemon version.
    await new Promise((resolvePromise, reject) => {
      const child = spawn('docker', ['build', '--quiet', '-t', tag, context], {
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolvePromise() : reject(new Error(`docker build exited ${code}: ${output}`)),
      );
    });
    say(`built ${tag}`);
    process.stdout.write(`${tag}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => fail(error.message));
