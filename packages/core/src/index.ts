/**
 * `@scanplane/core`: the pure logic of scanplane — target parsing, address sets, preparation (scope, resolution,
 * dedup), task planning, the task lifecycle, the orchestrator and the worker runtime — behind small ports (store,
 * ledger, queue, launcher, worker registry, lock, resolver, clock), each with an in-memory implementation.
 *
 * @example
 * ```ts
 * import { planTasks, prepare } from '@scanplane/core';
 * const prepared = await prepare(['192.0.2.0/30', 'localhost']);
 * for (const task of planTasks(prepared, { ports: '22,80,443' })) console.log(task.ip, task.ports);
 * ```
 * @module
 */

export { type Clock, createManualClock, type ManualClock, systemClock } from './clock/clock.js';
export { ERROR_CODES, type ErrorCode, type ErrorCodeInfo, isErrorCode } from './errors/error-codes.js';
export {
  isScanplaneError,
  ScanplaneError,
  type ScanplaneErrorJSON,
  type ScanplaneErrorOptions,
  toScanplaneError,
} from './errors/scanplane-error.js';
export { createMemoryLock } from './memory/memory-lock.js';
export {
  createMemoryQueue,
  type DeadLetter,
  type MemoryQueue,
  type MemoryQueueOptions,
} from './memory/memory-queue.js';
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './memory/memory-store.js';
export { createEmbedded, type Embedded, type EmbeddedOptions } from './orchestrator/embedded.js';
export type { ScanplaneEvents } from './orchestrator/events.js';
export type { LifecycleOutcome } from './orchestrator/lifecycle.js';
export {
  createOrchestrator,
  type DedupMode,
  type Orchestrator,
  type OrchestratorHealth,
  type OrchestratorOptions,
  type ProjectStatus,
  type StopResult,
  type SubmitOptions,
  type SubmitResult,
  type SubmitSummary,
} from './orchestrator/orchestrator.js';
export { type PlannedTask, type PlanTasksOptions, planTasks } from './plan/plan-tasks.js';
export { PortSet, type Protocol } from './plan/port-set.js';
export { type TaskKeyParts, taskKey } from './plan/task-key.js';
export type { HealthReport } from './ports/health.js';
export type { CoverageRecord, Ledger } from './ports/ledger.js';
export type { Lock, LockLease } from './ports/lock.js';
export type { ScheduleSnapshot, ScheduleStore } from './ports/schedule-store.js';
export type {
  LaunchDescription,
  LauncherCapabilities,
  LauncherEvent,
  LaunchResult,
  LogLine,
  TaskLauncher,
} from './ports/task-launcher.js';
export type {
  CancelNotice,
  QueueCapabilities,
  QueueConsumer,
  QueueDelivery,
  QueueMessage,
  TaskQueue,
} from './ports/task-queue.js';
export type { ClaimRequest, CreateTasksResult, TaskQuery, TaskStore } from './ports/task-store.js';
export type { WorkerInfo, WorkerRegistry } from './ports/worker-registry.js';
export { createDnsResolver, type DnsResolverOptions } from './resolver/dns-resolver.js';
export { type HostMap, type HostMapEntry, parseHostsFile } from './resolver/host-map.js';
export type { ResolveError, ResolveOptions, ResolveResult, Resolver } from './resolver/resolver.js';
export { createStaticResolver } from './resolver/static-resolver.js';
export {
  createTcpConnectScanner,
  type OpenPort,
  scanTcp,
  type TcpScanOptions,
  type TcpScanResult,
} from './scanner/tcp-connect-scanner.js';
export { chunkRange, chunkSlice } from './schedule/chunk-slice.js';
export {
  explainPair,
  type PairExplanation,
  type PairSkip,
  type PlannedScanTask,
  planSchedule,
  type QueuedScanTask,
  type ScanUpdate,
  type ScheduleCancel,
  type ScheduledTaskPayload,
  type ScheduleOptions,
  type SchedulePlan,
  type ScheduleSkipReason,
  type ScheduleState,
} from './schedule/plan-schedule.js';
export {
  type Organization,
  type ScanDefinition,
  validateOrganization,
  validateScanDefinition,
} from './schedule/scan-definition.js';
export {
  type OrganizationOutcome,
  organizationOutcome,
  type PairHistory,
  type ScheduleHistory,
  ScheduleHistoryIndex,
} from './schedule/schedule-history.js';
export {
  createScheduler,
  type Scheduler,
  type SchedulerEvents,
  type SchedulerOptions,
  type TickReport,
} from './schedule/scheduler.js';
export {
  type AddressChunk,
  type AddressRange,
  AddressSet,
  AddressSetBuilder,
  formatAddress,
  type NumericAddress,
  type OrderOptions,
  parseAddress,
  type Shard,
} from './targets/address-set.js';
export { normalizeHostname } from './targets/hostname.js';
export { formatIpv4, IPV4_SPACE, parseIpv4 } from './targets/ipv4.js';
export { formatIpv6, IPV6_SPACE, parseIpv6 } from './targets/ipv6.js';
export { createPermutation, type Permutation, type Seed } from './targets/permutation.js';
export { type PrepareOptions, type PrepareProgress, prepare, type TargetEntries } from './targets/prepare.js';
export {
  bigintToJSON,
  type EntryOutcome,
  type EntryStatus,
  PreparedTargets,
  type PrepareSummary,
  summaryToJSON,
} from './targets/prepared-targets.js';
export type { RefusalReason } from './targets/scope-policy.js';
export {
  classifyAddress,
  SPECIAL_PURPOSE_BLOCKS,
  type SpecialPurposeBlock,
  type SpecialPurposeReason,
} from './targets/special-purpose.js';
export {
  DEFAULT_MAX_ADDRESSES,
  DEFAULT_MAX_RANGES,
  MAX_ENTRY_LENGTH,
  type ParsedTargetEntry,
  parseTargetEntry,
  type TargetEntryKind,
  type TargetEntryOptions,
  type TargetEntryParseResult,
} from './targets/target-entry.js';
export {
  formatSource,
  MAX_LINE_LENGTH,
  readTargetFile,
  splitTargetList,
  type TargetInput,
  type TargetSource,
  targetsFromList,
  targetsFromText,
} from './targets/target-input.js';
export {
  decidePlatformEvent,
  type PlatformEvent,
  type PlatformEventDecision,
} from './tasks/platform-event.js';
export {
  ACTIVE_STATUSES,
  DEFAULT_TIMEOUTS,
  isTerminal,
  type NewTask,
  type ScanTask,
  TASK_STATUSES,
  type TaskError,
  type TaskHandle,
  type TaskStatus,
  type TaskTarget,
  type TaskTimeouts,
  type TaskTransition,
  TERMINAL_STATUSES,
} from './tasks/task.js';
export {
  applyTransition,
  canTransition,
  DEFAULT_RETRY_POLICY,
  failureTransition,
  isRetryableError,
  type RetryPolicy,
  retryDelay,
  type TaskPatch,
  TRANSITIONS,
  type TransitionRequest,
} from './tasks/transitions.js';
export {
  COMMAND_OPTIONS_VARIABLE,
  type CommandOptions,
  commandOptionsFor,
  type EntrypointHandler,
  type EntrypointOptions,
  EXIT_CODES,
  MAX_CHUNKS,
  parseCommandOptions,
  runEntrypoint,
} from './worker/entrypoint.js';
export { createInProcessLauncher, type InProcessLauncherOptions } from './worker/in-process-launcher.js';
export {
  type BatchResult,
  type OrganizationRun,
  runForOrganizations,
} from './worker/run-for-organizations.js';
export type { TaskContext, TaskHandler } from './worker/task-handler.js';
export { createWorker, type Worker, type WorkerOptions } from './worker/worker.js';
