import { httpError } from './http-errors.js';
import type { Principal, ProjectTokens } from './project-tokens.js';

/**
 * Who may call what:
 * - `/tasks/{project}/…`: a token of that project, or the admin token (a token of another project: 403; the
 *   project does not exist: 404 for the admin, 403 for a project token, which learns nothing about other projects);
 * - `/workers`, `/workers/ips`: any valid token (no task or project of anyone is shown there);
 * - `/metrics`: the admin token only (it counts every project's tasks);
 * - `/projects/{project}/tokens`: the admin token only (it issues tokens);
 * - `/health`, `/docs`: open.
 *
 * @example
 * ```ts
 * import type { AccessPolicy } from './auth.js';
 * const policy: AccessPolicy = 'admin';
 * ```
 */
export type AccessPolicy = 'open' | 'any-token' | 'admin' | 'project';

/**
 * The token of an `Authorization: Bearer <token>` header, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { bearerOf } from './auth.js';
 * bearerOf('Bearer tsk_abc'); // 'tsk_abc'
 * ```
 */
export function bearerOf(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Authenticates a request's `Authorization` header.
 *
 * @throws `ScanplaneError` `UNAUTHENTICATED` with reason `missing_token` or `invalid_token` (401).
 */
export async function authenticate(tokens: ProjectTokens, header: string | undefined): Promise<Principal> {
  const token = bearerOf(header);
  if (token === undefined) {
    throw httpError(
      'UNAUTHENTICATED',
      'missing_token',
      'this route needs an Authorization: Bearer <token> header',
    );
  }
  const principal = await tokens.authenticate(token);
  if (principal === undefined) {
    throw httpError('UNAUTHENTICATED', 'invalid_token', 'the bearer token is unknown or revoked');
  }
  return principal;
}

/**
 * Authenticates a request and checks that it may use `project`.
 *
 * @throws `ScanplaneError` `UNAUTHENTICATED` (401: reason `missing_token`/`invalid_token`), `PERMISSION_DENIED` (403:
 *   reason `forbidden`, a token of another
 *   project) or `unknown_project` (`NOT_FOUND`, 404: the admin named a project that does not exist).
 */
export async function authorizeProject(
  tokens: ProjectTokens,
  header: string | undefined,
  project: string,
): Promise<Principal> {
  const principal = await authenticate(tokens, header);
  if (principal.kind === 'project') {
    if (principal.project !== project) {
      throw httpError(
        'PERMISSION_DENIED',
        'forbidden',
        `this token is not valid for project ${JSON.stringify(project)}`,
        {
          project,
        },
      );
    }
    return principal;
  }
  if (!(await tokens.hasProject(project))) {
    throw httpError('NOT_FOUND', 'unknown_project', `there is no project ${JSON.stringify(project)}`, {
      project,
    });
  }
  return principal;
}

/**
 * Authenticates a request and checks it carries the admin token.
 *
 * @throws `ScanplaneError` `UNAUTHENTICATED` (401) or `PERMISSION_DENIED` (403, reason `forbidden`).
 */
export async function authorizeAdmin(tokens: ProjectTokens, header: string | undefined): Promise<Principal> {
  const principal = await authenticate(tokens, header);
  if (principal.kind !== 'admin') {
    throw httpError('PERMISSION_DENIED', 'forbidden', 'this route needs the admin token');
  }
  return principal;
}

/**
 * What a token may see, in the dashboard plugin's terms: the admin every project, a project token its project.
 *
 * @example
 * ```ts
 * import { dashboardAccess } from './auth.js';
 * declare const tokens: import('./project-tokens.js').ProjectTokens;
 * await dashboardAccess(tokens, 'tsk_…'); // { projects: ['acme'] } or undefined
 * ```
 */
export async function dashboardAccess(
  tokens: ProjectTokens,
  token: string,
): Promise<{ all: true } | { projects: string[] } | undefined> {
  const principal = await tokens.authenticate(token);
  if (principal === undefined) return undefined;
  return principal.kind === 'admin' ? { all: true } : { projects: [principal.project] };
}
