/** What every scenario gets and gives back. */
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** `MOORING_BENCH_BIN` runs another build, e.g. main's, for a before-and-after comparison on one machine. */
export const MOORING_BIN = process.env.MOORING_BENCH_BIN ?? fileURLToPath(new URL('../bin/mooring.js', import.meta.url));

export interface BenchContext {
  quick: boolean;
  /** Unique to this run; every name starts with it. */
  runId: string;
  /** A scratch directory for manifests, compose files and status files. */
  workDir: string;
  /** An image with node for the probe-container method. */
  probeImage: string;
  /** The scale scenario's sizes, in the order run (`--scale-sizes 300,100,500`); unset: its defaults. */
  scaleSizes?: number[];
  /** Progress lines on stderr; the table goes to stdout. */
  progress(message: string): void;
}

/** One line of a scenario's table: a contender or a size, and what was measured. */
export interface Row {
  label: string;
  values: Record<string, number | string>;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
  /** A check of behaviour rather than a goal for the machine: unmet, the run exits 1, as when a scenario fails. */
  required?: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  parameters: Record<string, number | string>;
  rows: Row[];
  targets: TargetCheck[];
  notes: string[];
}

export interface Scenario {
  id: string;
  /**
   * Starts a set-up that costs this machine's CPU but no engine another
   * scenario measures (the cross-host scenario's own engines), for `run` to use.
   */
  prepare?(context: BenchContext): void;
  /**
   * Mostly waits out a window, measuring only its daemon's CPU time: in quick
   * mode the later scenarios' `prepare` run beside it.
   */
  waits?: boolean;
  run(context: BenchContext): Promise<ScenarioResult>;
}

export const round = (value: number, digits = 0): number => Math.round(value * 10 ** digits) / 10 ** digits;
