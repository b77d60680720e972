import type { ServerResponse } from 'node:http';
import type { DashboardScope } from './dashboard-options.js';
import { type EventStream, openEventStream } from './event-stream.js';
import type { DashboardSnapshot } from './snapshot.js';
import type { SnapshotPoller } from './snapshot-poller.js';

/** A snapshot narrowed to one scope: the JSON sent, and a fingerprint without the timestamp to skip repeats. */
export interface NarrowedSnapshot {
  /** The JSON of the narrowed snapshot. */
  json: string;
  /** The same without `generatedAt`: equal fingerprints mean the client already has it. */
  fingerprint: string;
}

/** Options of {@link createEventHub}. */
export interface EventHubOptions {
  /** The shared poller. */
  poller: SnapshotPoller;
  /** Narrows a snapshot to a scope (cached by the caller per snapshot and scope). */
  narrow(snapshot: DashboardSnapshot, scope: DashboardScope): NarrowedSnapshot;
  /** Checks the token again at each heartbeat; a token no longer valid ends its streams. */
  authorize(token: string): Promise<DashboardScope | undefined>;
  /** Time between heartbeats, in milliseconds. */
  heartbeatMs: number;
  /** Told when something unexpected happens to a stream. */
  onError?: (error: unknown) => void;
}

/**
 * Every open event stream of one server. Each stream gets the current snapshot at once, then each change that
 * shows in its scope, and a heartbeat (after which its token is checked again) every `heartbeatMs`.
 */
export interface EventHub {
  /** Serves a stream on a response taken over from the framework, for a token already authorized to `scope`. */
  open(response: ServerResponse, token: string, scope: DashboardScope): void;
  /** Ends every stream (the server is closing). */
  closeAll(): void;
  /** Number of open streams. */
  readonly size: number;
}

/** Creates an {@link EventHub}. */
export function createEventHub(options: EventHubOptions): EventHub {
  const { poller } = options;
  const streams = new Set<EventStream>();

  return {
    open(response, token, scope) {
      if (response.destroyed || response.writableEnded) return; // the client left before the stream began
      let lastFingerprint: string | undefined;
      let stream: EventStream | undefined;
      const deliver = (snapshot: DashboardSnapshot) => {
        if (stream === undefined || stream.closed) return;
        const narrowed = options.narrow(snapshot, scope);
        if (narrowed.fingerprint === lastFingerprint) return;
        lastFingerprint = narrowed.fingerprint;
        stream.send('snapshot', narrowed.json);
      };
      const unsubscribe = poller.subscribe(deliver);
      const heartbeat = setInterval(() => {
        options
          .authorize(token)
          .then((still) => {
            if (stream === undefined || stream.closed) return;
            if (still === undefined) {
              stream.send('unauthorized', JSON.stringify({ message: 'the token is no longer valid' }));
              stream.close();
              return;
            }
            stream.send('heartbeat', JSON.stringify({ at: Date.now() }));
          })
          .catch((error: unknown) => options.onError?.(error));
      }, options.heartbeatMs);
      heartbeat.unref();

      stream = openEventStream(response, () => {
        clearInterval(heartbeat);
        unsubscribe();
        if (stream !== undefined) streams.delete(stream);
      });
      streams.add(stream);
      poller.latest().then(deliver, (error: unknown) => options.onError?.(error));
    },
    closeAll() {
      for (const stream of [...streams]) stream.close();
    },
    get size() {
      return streams.size;
    },
  };
}
