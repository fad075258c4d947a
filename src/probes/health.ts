/**
 * From probe results to health, with Kubernetes probe semantics: a check turns
 * unhealthy after `failureThreshold` failures in a row and healthy after
 * `successThreshold` successes in a row; in between it keeps its state.
 */
import type { ProbeReason, ReachabilityStatus } from './model.js';

/**
 * What one result says about the check. `unknown`: nothing was learnt about
 * the network (the source is not running, the prober failed, the check is not
 * probed, isolation from a target that is not there); it neither counts
 * towards a threshold nor breaks a streak.
 */
export type Outcome = 'pass' | 'fail' | 'unknown';

export interface Thresholds {
  /** @default 3 */
  failureThreshold: number;
  /** @default 1 */
  successThreshold: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { failureThreshold: 3, successThreshold: 1 };

export type HealthState = Pick<ReachabilityStatus, 'healthy' | 'consecutiveFailures' | 'consecutiveSuccesses' | 'lastTransitionTime'>;

export const INITIAL_HEALTH: HealthState = { healthy: null, consecutiveFailures: 0, consecutiveSuccesses: 0 };

/**
 * `expect: unreachable` passes when the connection fails in any way the
 * network decides, a name that does not resolve included: from another
 * network a container's name is unknown, and that is isolation too. A
 * connection accepted and then closed reached a listener: it meets neither
 * expectation. A target that is not running, not on the network, or not
 * where the name leads makes `reachable` false, but proves no isolation:
 * the target was not there to reach.
 */
export function outcomeOf(expect: ReachabilityStatus['expect'], reason: ProbeReason): Outcome {
  switch (reason) {
    case 'Connected':
      return expect === 'reachable' ? 'pass' : 'fail';
    case 'ConnectionRefused':
    case 'NetworkUnreachable':
    case 'Timeout':
    case 'DNSResolutionFailed':
    case 'HostPortUnreachable':
    case 'BackendRefused':
      return expect === 'unreachable' ? 'pass' : 'fail';
    case 'ConnectionClosed':
      return 'fail';
    case 'TargetNotRunning':
    case 'TargetNotOnNetwork':
    case 'ResolvedElsewhere':
      return expect === 'reachable' ? 'fail' : 'unknown';
    case 'SourceNotRunning':
    case 'NotProbed':
    case 'ProbeError':
      return 'unknown';
  }
}

/** The state after one more result; `at` (ISO 8601) becomes `lastTransitionTime` when `healthy` changes. */
export function nextHealth(state: HealthState, outcome: Outcome, thresholds: Thresholds, at: string): HealthState {
  let { healthy, consecutiveFailures, consecutiveSuccesses } = state;
  if (outcome === 'unknown') {
    healthy = null;
  } else if (outcome === 'pass') {
    consecutiveSuccesses++;
    consecutiveFailures = 0;
    if (consecutiveSuccesses >= thresholds.successThreshold) healthy = true;
  } else {
    consecutiveFailures++;
    consecutiveSuccesses = 0;
    if (consecutiveFailures >= thresholds.failureThreshold) healthy = false;
  }
  const lastTransitionTime = healthy === state.healthy ? state.lastTransitionTime : at;
  return { healthy, consecutiveFailures, consecutiveSuccesses, ...(lastTransitionTime === undefined ? {} : { lastTransitionTime }) };
}
