/**
 * The daemon's one options object: its dependencies (engine, logger, clock)
 * and its settings, each with its default.
 */
import type { Clock } from '../clock.js';
import type { Engine } from '../engine/port.js';
import type { Logger } from '../log.js';
import type { loadDesiredState } from '../manifests/desired-state.js';
import type { NodeScope } from '../manifests/node-scope.js';
import type { ProbeSchedulerOptions } from '../probes/scheduler.js';
import type { RetryOptions } from '../reconcile/apply.js';
import type { BackoffOptions } from './backoff.js';
import type { CrashLoopOptions } from './crash-loop.js';
import type { ManifestWatcherOptions } from './triggers/watch.js';

export const DEFAULT_RESYNC_MS = 30_000;

export interface DaemonOptions {
  engine: Engine;
  logger: Logger;
  /** @default systemClock */
  clock?: Clock;
  instance: string;
  manifestsDirectory: string;
  statusFile: string;
  /** Prometheus text for node_exporter's textfile collector. */
  metricsFile?: string;
  /** `host:port` for `/healthz`, `/readyz`, `/metrics` and `/status`. */
  listen?: string;
  /** A full pass, manifests read again, at least this often. @default 30000 */
  resyncMs?: number;
  /** Prune even when no manifest declares anything. @default false */
  allowEmpty?: boolean;
  /** Where secret files are written; without one, containers with secrets are not made. */
  stateDir?: string;
  /** A removal of what no manifest declares waits until passes have planned it this long without a break. @default 10000 */
  pruneDelayMs?: number;
  /** An image with `pullPolicy: Always` is pulled at most this often. @default DEFAULT_PULL_INTERVAL_MS (5 min) */
  pullIntervalMs?: number;
  /** The reachability probes' settings. */
  probes?: Omit<ProbeSchedulerOptions, 'engine' | 'logger' | 'clock' | 'instance' | 'onRound'>;
  /** Retries of one action within a pass. */
  retry?: RetryOptions;
  /** Between passes for a resource whose actions failed. @default { initialMs: 1000, maxMs: 300000 } */
  backoff?: BackoffOptions;
  crashLoop?: CrashLoopOptions;
  /** Between attempts to reach the engine's event stream. */
  eventsBackoff?: BackoffOptions;
  /** Engine events, and the check after a pass that changed things, wait this long for the rest of their burst. @default 100 */
  eventDelayMs?: number;
  /** Quiet time after a manifest change before reading the directory. @default 200 */
  debounceMs?: number;
  /** While a pass applies changes, the status is written again this often. @default 2000 */
  progressIntervalMs?: number;
  /** How long `stop` waits for the pass and the probe round in flight. @default 8000 */
  stopTimeoutMs?: number;
  /** @default createManifestLoader(): parses only the files that changed since the last load */
  loadManifests?: typeof loadDesiredState;
  /** In a fleet, the node this daemon reconciles: it takes only that node's share of the manifests. @default all of them */
  node?: NodeScope;
  /** @default a chokidar {@link ManifestWatcher} */
  watchManifests?: (options: ManifestWatcherOptions) => { start(): Promise<void>; close(): Promise<void> };
  /** @default process.pid */
  pid?: number;
}
