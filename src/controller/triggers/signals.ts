/**
 * The signals mooring answers. SIGTERM and SIGINT stop it: the first one
 * gracefully (what has begun is finished, nothing new begins), a second one
 * at once, as terraform does, for when finishing takes too long. SIGHUP
 * reloads the manifests and resyncs, for those who listen to it.
 */
import { constants } from 'node:os';

/** What `process` offers for signals; tests pass an EventEmitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface SignalHandlers {
  /** The first SIGTERM or SIGINT. */
  onStop(signal: NodeJS.Signals): void;
  /** Any stop signal after the first. */
  onForce(signal: NodeJS.Signals): void;
  /** SIGHUP; without it, SIGHUP keeps its default (a hangup ends the process). */
  onReload?(): void;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Installs the handlers; returns a function that removes them. */
export function handleSignals(source: SignalSource, handlers: SignalHandlers): () => void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return handlers.onForce(signal);
    stopping = true;
    handlers.onStop(signal);
  };
  const reload = () => handlers.onReload?.();
  for (const signal of STOP_SIGNALS) source.on(signal, stop);
  if (handlers.onReload) source.on('SIGHUP', reload);
  return () => {
    for (const signal of STOP_SIGNALS) source.off(signal, stop);
    if (handlers.onReload) source.off('SIGHUP', reload);
  };
}

/** The shell's code for a process ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}
