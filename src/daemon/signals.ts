/**
 * The signals a daemon answers: SIGTERM and SIGINT stop it, SIGHUP reloads
 * the manifests and resyncs. A second stop signal while stopping is only
 * logged by the caller; the stop deadline already bounds how long it takes.
 */

/** What `process` offers for signals; tests pass an EventEmitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface SignalHandlers {
  onStop(signal: NodeJS.Signals): void;
  onReload(): void;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Installs the handlers; returns a function that removes them. */
export function handleSignals(source: SignalSource, handlers: SignalHandlers): () => void {
  const stop = (signal: NodeJS.Signals) => handlers.onStop(signal);
  const reload = () => handlers.onReload();
  for (const signal of STOP_SIGNALS) source.on(signal, stop);
  source.on('SIGHUP', reload);
  return () => {
    for (const signal of STOP_SIGNALS) source.off(signal, stop);
    source.off('SIGHUP', reload);
  };
}
