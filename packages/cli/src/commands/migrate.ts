import { parseArgs } from 'node:util';
import { migrate } from '@scanplane/postgres';
import pg from 'pg';
import type { CliIO } from '../cli-io.js';
import { UsageError } from '../usage-error.js';

/** Usage text of `scanplane migrate`. */
export const MIGRATE_USAGE = `Usage: scanplane migrate [options]

Creates or updates scanplane's tables in a PostgreSQL schema. Safe to run from several processes at once: the
migrations run in one transaction under an advisory lock, each exactly once.

Options:
  --database-url URL        the server (default: the DATABASE_URL environment variable)
  --schema NAME             the schema (default: scanplane)
  -h, --help                show this help

Exit status: 0 up to date, 1 the server refused or a migration failed, 2 usage error (a bad schema name too).`;

/** `scanplane migrate`: applies the PostgreSQL adapter's migrations and says what it did. */
export async function migrateCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help) {
    io.stdout.write(`${MIGRATE_USAGE}\n`);
    return 0;
  }
  const url = parsed.values['database-url'] ?? process.env.DATABASE_URL;
  if (url === undefined || url === '') {
    throw new UsageError('no server: pass --database-url URL or set DATABASE_URL');
  }
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  try {
    const result = await migrate(
      pool,
      parsed.values.schema === undefined ? {} : { schema: parsed.values.schema },
    );
    io.stdout.write(
      result.applied.length === 0
        ? `schema ${result.schema} is up to date (version ${result.current})\n`
        : `schema ${result.schema}: applied ${result.applied.join(', ')}; now at version ${result.current}\n`,
    );
    return 0;
  } finally {
    await pool.end();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  });
}
