// `pnpm --filter @scanplane/example-org-scans image [--force]`: builds the org-scans worker image on the daemon
// DOCKER_HOST names (default /var/run/docker.sock), tagged ORG_SCANS_IMAGE (default scanplane-org-scans-worker:dev),
// FROM ORG_SCANS_BASE_IMAGE (default scanplane-worker:dev, built by @scanplane/docker's script when missing).
// Push the result to a registry (ECR) for Fargate.
import { isScanplaneError } from '@scanplane/core';
import { readDeploymentConfig } from '../config/deployment-config.js';
import { buildWorkerImage } from './worker-image.js';

try {
  const config = readDeploymentConfig(process.env);
  const tag = await buildWorkerImage({
    baseImage: config.docker.baseImage,
    tag: config.docker.image,
    force: process.argv.includes('--force'),
    log: (line) => process.stderr.write(`[org-scans image] ${line}\n`),
  });
  process.stdout.write(`${tag}\n`);
} catch (error) {
  process.stderr.write(
    `[org-scans image] ${isScanplaneError(error) ? `${error.code}: ${error.message}` : String(error)}\n`,
  );
  process.exitCode = 1;
}
