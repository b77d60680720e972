import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { ScanplaneError } from '@scanplane/core';
import { type Queryable, quoteSchema } from '@scanplane/postgres';

/**
 * Who a bearer token speaks for: the operator (the configured admin token, every project) or one project.
 *
 * @example
 * ```ts
 * import type { Principal } from './project-tokens.js';
 * const principal: Principal = { kind: 'project', project: 'acme', tokenId: '0b0e…' };
 * ```
 */
export type Principal =
  | {
      /** The operator: may use every project and the operator routes. */
      kind: 'admin';
    }
  | {
      /** A project token. */
      kind: 'project';
      /** The one project it may use. */
      project: string;
      /** The token's id (not the token). */
      tokenId: string;
    };

/**
 * A token as {@link ProjectTokens.createToken} returns it: the plain token is shown this once and never stored.
 *
 * @example
 * ```ts
 * import type { IssuedToken } from './project-tokens.js';
 * const show = (issued: IssuedToken) => `${issued.project}: ${issued.token}`;
 * ```
 */
export interface IssuedToken {
  /** The token's id, for revoking it. */
  id: string;
  /** The project it is for. */
  project: string;
  /** The bearer token itself: `tsk_` and 43 characters of base64url (32 random bytes). */
  token: string;
}

/**
 * Options of {@link createProjectTokens}.
 *
 * @example
 * ```ts
 * import type { ProjectTokensOptions } from './project-tokens.js';
 * declare const pool: import('@scanplane/postgres').Queryable;
 * const options: ProjectTokensOptions = { pool, schema: 'tasker', adminToken: process.env.ADMIN_TOKEN };
 * ```
 */
export interface ProjectTokensOptions {
  /** The PostgreSQL pool (the store's `pool` will do). */
  pool: Queryable;
  /** The service's own schema, holding `projects` and `project_tokens`. Default `tasker`. */
  schema?: string;
  /** The operator's token (at least 16 characters): it may use every project and the operator routes. */
  adminToken?: string;
}

/**
 * The projects and their bearer tokens, in the service's own PostgreSQL schema. Tokens are 32 random bytes; only
 * their SHA-256 is stored, and the comparison is constant-time.
 *
 * @example
 * ```ts
 * import type { ProjectTokens } from './project-tokens.js';
 * async function issue(tokens: ProjectTokens) {
 *   const { token } = await tokens.createToken('acme');
 *   return (await tokens.authenticate(token))?.kind; // 'project'
 * }
 * ```
 */
export interface ProjectTokens {
  /** The schema the tables are in. */
  readonly schema: string;
  /** Creates the schema and tables if missing (idempotent, safe to run from several processes at once). */
  migrate(): Promise<void>;
  /** Creates a project if missing; returns whether it was created. */
  createProject(project: string): Promise<boolean>;
  /** Creates the project if missing and a new token for it; the plain token is returned this once. */
  createToken(project: string): Promise<IssuedToken>;
  /** Revokes a token by id; returns whether one was revoked. */
  revokeToken(id: string): Promise<boolean>;
  /** Who the token speaks for, or `undefined` for an unknown, revoked or malformed token. */
  authenticate(token: string): Promise<Principal | undefined>;
  /** Whether the project exists. */
  hasProject(project: string): Promise<boolean>;
  /** Every project, by name. */
  projects(): Promise<string[]>;
}

/** A project name: what may appear in `/tasks/{project}/…`. */
export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const TOKEN_PREFIX = 'tsk_';
/** Tokens longer than this are refused without hashing. */
const MAX_TOKEN_LENGTH = 512;

/** The SHA-256 of a token. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Checks a project name.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming the problem.
 */
export function checkProjectName(project: string): string {
  if (typeof project !== 'string' || !PROJECT_NAME.test(project)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `project ${JSON.stringify(project)} is not a valid project name: 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit`,
      { details: { project: String(project) } },
    );
  }
  return project;
}

/**
 * Creates the {@link ProjectTokens} registry over a PostgreSQL pool. Call `migrate()` once at start.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` for a bad schema name or an admin token shorter than 16 characters.
 * @example
 * ```ts
 * import { createProjectTokens } from './project-tokens.js';
 * declare const pool: import('@scanplane/postgres').Queryable;
 * const tokens = createProjectTokens({ pool, schema: 'tasker' });
 * await tokens.migrate();
 * const { token } = await tokens.createToken('acme');
 * ```
 */
export function createProjectTokens(options: ProjectTokensOptions): ProjectTokens {
  const { pool } = options;
  const schema = options.schema ?? 'tasker';
  const s = quoteSchema(schema);
  if (options.adminToken !== undefined && options.adminToken.length < 16) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'the admin token must be at least 16 characters long', {
      details: { length: options.adminToken.length },
    });
  }
  const adminHash = options.adminToken === undefined ? undefined : hashToken(options.adminToken);

  const createProject = async (project: string): Promise<boolean> => {
    checkProjectName(project);
    const result = await pool.query(
      `INSERT INTO ${s}.projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [project],
    );
    return result.rowCount === 1;
  };

  return {
    schema,

    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Several processes may start at once: CREATE … IF NOT EXISTS alone races on the catalogue.
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `${schema}:tasker-migrate`,
        ]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${s}.projects (
             name text PRIMARY KEY,
             created_at timestamptz NOT NULL DEFAULT now()
           )`,
        );
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${s}.project_tokens (
             id uuid PRIMARY KEY,
             project text NOT NULL REFERENCES ${s}.projects (name) ON DELETE CASCADE,
             token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
             created_at timestamptz NOT NULL DEFAULT now(),
             revoked_at timestamptz
           )`,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },

    createProject,

    async createToken(project) {
      await createProject(project);
      const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const id = randomUUID();
      await pool.query(`INSERT INTO ${s}.project_tokens (id, project, token_sha256) VALUES ($1, $2, $3)`, [
        id,
        project,
        hashToken(token),
      ]);
      return { id, project, token };
    },

    async revokeToken(id) {
      const result = await pool.query(
        `UPDATE ${s}.project_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
        [id],
      );
      return result.rowCount === 1;
    },

    async authenticate(token) {
      if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
      const hash = hashToken(token);
      if (adminHash !== undefined && timingSafeEqual(hash, adminHash)) return { kind: 'admin' };
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const { rows } = await pool.query<{ id: string; project: string; token_sha256: Buffer }>(
        `SELECT id, project, token_sha256 FROM ${s}.project_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL`,
        [hash],
      );
      const row = rows[0];
      // The index found the row by its hash; the comparison itself is still constant-time.
      if (row === undefined || !timingSafeEqual(row.token_sha256, hash)) return undefined;
      return { kind: 'project', project: row.project, tokenId: row.id };
    },

    async hasProject(project) {
      if (typeof project !== 'string' || !PROJECT_NAME.test(project)) return false;
      const { rows } = await pool.query(`SELECT 1 FROM ${s}.projects WHERE name = $1`, [project]);
      return rows.length === 1;
    },

    async projects() {
      const { rows } = await pool.query<{ name: string }>(`SELECT name FROM ${s}.projects ORDER BY name`);
      return rows.map((row) => row.name);
    },
  };
}
