import { toScanplaneError } from '@scanplane/core';
import { type DashboardSnapshot, zeroCounts } from './snapshot.js';
import type { SnapshotReader } from './snapshot-reader.js';

/**
 * One poller per server, shared by every client: it reads the store at most once per interval whoever asks (the
 * snapshot route and every event stream), only while someone listens, and tells listeners when the snapshot changed.
 */
export interface SnapshotPoller {
  /** A snapshot no older than the interval: the last one, or a new read (one read at a time, shared by callers). */
  latest(): Promise<DashboardSnapshot>;
  /** Calls `listener` with every changed snapshot; polls while anyone is subscribed. Returns the unsubscribe. */
  subscribe(listener: (snapshot: DashboardSnapshot) => void): () => void;
  /** Number of listeners. */
  readonly listeners: number;
  /** Stops polling, drops the listeners and waits for a read in flight. */
  close(): Promise<void>;
}

/** Options of {@link createSnapshotPoller}. */
export interface SnapshotPollerOptions {
  /** Reads the store. */
  reader: SnapshotReader;
  /** Least time between two reads, in milliseconds. */
  intervalMs: number;
  /** Told about every failed read (the snapshot keeps the last good data and says what went wrong). */
  onError?: (error: Error) => void;
}

/** The snapshot without its timestamp, as text: equal fingerprints mean nothing changed. */
function fingerprint(snapshot: DashboardSnapshot): string {
  return JSON.stringify({ ...snapshot, generatedAt: 0 });
}

/** Creates a {@link SnapshotPoller}. */
export function createSnapshotPoller(options: SnapshotPollerOptions): SnapshotPoller {
  const { reader, intervalMs } = options;
  const listeners = new Set<(snapshot: DashboardSnapshot) => void>();
  let current: { snapshot: DashboardSnapshot; readAt: number; fingerprint: string } | undefined;
  let inflight: Promise<DashboardSnapshot> | undefined;
  /** The polling loop: waiting for its next read, reading, or stopped. */
  let loop: NodeJS.Timeout | 'reading' | undefined;
  let closed = false;

  async function readOnce(): Promise<DashboardSnapshot> {
    const readAt = Date.now();
    let snapshot: DashboardSnapshot;
    try {
      snapshot = await reader.read();
    } catch (thrown) {
      const error = toScanplaneError(thrown, 'UNAVAILABLE', { component: 'dashboard' });
      options.onError?.(error);
      const base = current?.snapshot ?? { totals: zeroCounts(), projects: [], running: [], failures: [] };
      snapshot = { ...base, generatedAt: readAt, problem: `reading the task store failed: ${error.message}` };
    }
    const next = { snapshot, readAt, fingerprint: fingerprint(snapshot) };
    const changed = current?.fingerprint !== next.fingerprint;
    current = next;
    if (changed && !closed) for (const listener of [...listeners]) listener(snapshot);
    return snapshot;
  }

  function poll(): Promise<DashboardSnapshot> {
    inflight ??= readOnce().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  function schedule(): void {
    if (closed || listeners.size === 0 || loop !== undefined) return;
    const wait = current === undefined ? 0 : Math.max(0, intervalMs - (Date.now() - current.readAt));
    const timer = setTimeout(() => {
      loop = 'reading';
      poll().finally(() => {
        loop = undefined;
        schedule();
      });
    }, wait);
    timer.unref();
    loop = timer;
  }

  function stopWaiting(): void {
    if (loop !== undefined && loop !== 'reading') {
      clearTimeout(loop);
      loop = undefined;
    }
  }

  return {
    latest() {
      if (current !== undefined && Date.now() - current.readAt < intervalMs)
        return Promise.resolve(current.snapshot);
      return poll();
    },
    subscribe(listener) {
      listeners.add(listener);
      schedule();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stopWaiting();
      };
    },
    get listeners() {
      return listeners.size;
    },
    async close() {
      closed = true;
      listeners.clear();
      stopWaiting();
      await inflight?.catch(() => undefined);
    },
  };
}
