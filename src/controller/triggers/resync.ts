/**
 * The resync timer: a full pass, manifests read again, at least every
 * `everyMs`, whatever the other triggers saw or missed.
 */
import type { Clock } from '../../clock.js';

export interface ResyncOptions {
  clock: Clock;
  everyMs: number;
  onResync(): void;
}

/** Starts the timer; the returned function stops it. */
export function startResync(options: ResyncOptions): () => void {
  const timer = options.clock.setInterval(options.onResync, options.everyMs);
  return () => options.clock.clearTimer(timer);
}
