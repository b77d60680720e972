export { MIGRATIONS, type MigrateResult, type Migration, migrate } from './migrations.js';
export {
  createOutboxQueue,
  createOutboxRelay,
  type OutboxRelay,
  type OutboxRelayEvents,
  type OutboxRelayOptions,
} from './outbox-relay.js';
export { translateError } from './pg-errors.js';
export { createPostgresLedger, type PostgresLedgerOptions } from './postgres-ledger.js';
export {
  createPostgresLock,
  type PostgresLock,
  type PostgresLockLease,
  type PostgresLockOptions,
} from './postgres-lock.js';
export {
  createPostgresScheduleStore,
  type PostgresScheduleStoreOptions,
} from './postgres-schedule-store.js';
export {
  createPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
} from './postgres-store.js';
export {
  createPostgresTaskStore,
  type PostgresTaskStore,
  type PostgresTaskStoreOptions,
} from './postgres-task-store.js';
export {
  createPostgresWorkerRegistry,
  type PostgresWorkerRegistryOptions,
} from './postgres-worker-registry.js';
export type { Queryable, QueryClient, QueryConfigLike, QueryResultLike } from './queryable.js';
export { createQueuedSignal, type QueuedSignal } from './queued-signal.js';
export { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';
