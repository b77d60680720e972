import Docker from 'dockerode';

/**
 * A dockerode client and a description of where it points, for messages: the given client, or one for
 * `socketPath`, or dockerode's default (`DOCKER_HOST`, else `/var/run/docker.sock`).
 */
export function dockerClient(options: { docker?: Docker; socketPath?: string }): {
  docker: Docker;
  endpoint: string;
} {
  const docker =
    options.docker ??
    (options.socketPath === undefined ? new Docker() : new Docker({ socketPath: options.socketPath }));
  const modem = (
    docker as unknown as {
      modem?: { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
    }
  ).modem;
  let endpoint = 'the Docker daemon';
  if (typeof modem?.socketPath === 'string') endpoint = `unix://${modem.socketPath}`;
  else if (typeof modem?.host === 'string')
    endpoint = `${String(modem.protocol ?? 'http')}://${modem.host}:${String(modem.port ?? '')}`;
  return { docker, endpoint };
}
