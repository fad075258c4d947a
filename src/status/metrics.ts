/**
 * The status in the Prometheus text exposition format (0.0.4), for
 * node_exporter's textfile collector and `/metrics`: no timestamps (the
 * collector refuses them), one HELP and TYPE per metric, names in the
 * blackbox_exporter style.
 *
 * A check whose last result says nothing about the network (source not
 * running, prober failed, not probed) has no `mooring_probe_success` or
 * `mooring_probe_duration_seconds` sample, and no `mooring_reachability_healthy`
 * while it is Unknown: a 0 would be a false "unreachable". Such checks are
 * counted in `mooring_reachability_checks{state="unknown"}`.
 */
import { outcomeOf } from '../probes/health.js';
import type { ReachabilityStatus } from '../probes/model.js';
import type { FileWrite, Status } from './model.js';

type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}


export interface MetricsOptions {
  /** The files the daemon writes, and how the last write of each went. */
  fileWrites?: readonly FileWrite[];
}

export function renderMetrics(status: Status, options: MetricsOptions = {}): string {
  const checks = status.reachability;
  // Only results that met or failed the expectation: the others are about mooring, its prober, or an untestable isolation.
  const probed = checks.filter((check) => check.lastProbe !== undefined && outcomeOf(check.expect, check.lastProbe.reason) !== 'unknown');
  const summary = status.reachabilitySummary;
  const families: Family[] = [
    {
      name: 'mooring_probe_success',
      help: "Whether the check's last probe met its expectation (1) or not (0).",
      type: 'gauge',
      samples: probed.map((check) => ({ labels: checkLabels(check), value: check.lastProbe?.success ? 1 : 0 })),
    },
    {
      name: 'mooring_probe_duration_seconds',
      help: "Duration of the check's last probe, resolution and connection, in seconds.",
      type: 'gauge',
      samples: probed.map((check) => ({ labels: checkLabels(check), value: (check.lastProbe?.durationMs ?? 0) / 1000 })),
    },
    {
      name: 'mooring_reachability_healthy',
      help: 'Whether the check is healthy (1) or unhealthy (0) after its thresholds; absent while Unknown.',
      type: 'gauge',
      samples: checks.filter((check) => check.healthy !== null).map((check) => ({ labels: checkLabels(check), value: check.healthy ? 1 : 0 })),
    },
    {
      name: 'mooring_reachability_consecutive_failures',
      help: 'Failed probes in a row for the check.',
      type: 'gauge',
      samples: checks.map((check) => ({ labels: checkLabels(check), value: check.consecutiveFailures })),
    },
    {
      name: 'mooring_reachability_checks',
      help: 'Reachability checks by state.',
      type: 'gauge',
      samples: [
        { labels: { state: 'healthy' }, value: summary.healthy },
        { labels: { state: 'unhealthy' }, value: summary.unhealthy },
        { labels: { state: 'unknown' }, value: summary.unknown },
      ],
    },
    {
      name: 'mooring_resource_ready',
      help: 'Whether the declared resource is Healthy (1) or not (0).',
      type: 'gauge',
      samples: status.resources.map((resource) => ({ labels: { kind: resource.kind, name: resource.name }, value: resource.health === 'Healthy' ? 1 : 0 })),
    },
    {
      name: 'mooring_volume_info',
      help: 'Always 1 for each declared volume and each orphan of this instance; the labels say its state, driver and reclaim policy.',
      type: 'gauge',
      samples: (status.volumes ?? []).map((volume) => ({
        labels: { volume: volume.name, state: volume.state, driver: volume.driver ?? '', reclaim_policy: volume.reclaimPolicy ?? '' },
        value: 1,
      })),
    },
    {
      name: 'mooring_volumes_orphaned',
      help: 'Volumes this instance made that no manifest declares any more, kept with their data (reclaimPolicy Retain, or Delete while in use).',
      type: 'gauge',
      // Absent where mooring manages no volume, as every family without samples.
      samples: status.volumes ? [{ labels: {}, value: status.volumes.filter((volume) => volume.state === 'Orphaned').length }] : [],
    },
    {
      name: 'mooring_manifest_valid',
      help: 'Whether the manifest file is valid (1) or not (0).',
      type: 'gauge',
      samples: status.manifests.map((manifest) => ({ labels: { file: manifest.file }, value: manifest.valid ? 1 : 0 })),
    },
    {
      name: 'mooring_reconcile_total',
      help: 'Reconcile passes since the daemon started.',
      type: 'counter',
      samples: [{ labels: {}, value: status.sync.reconcileTotal }],
    },
    {
      name: 'mooring_reconcile_errors_total',
      help: 'Reconcile passes that ended with an error since the daemon started.',
      type: 'counter',
      samples: [{ labels: {}, value: status.sync.reconcileErrorsTotal }],
    },
    {
      name: 'mooring_last_reconcile_timestamp_seconds',
      help: 'When the last reconcile pass ended, in seconds since the Unix epoch.',
      type: 'gauge',
      samples: status.sync.lastReconcileAt === undefined ? [] : [{ labels: {}, value: Date.parse(status.sync.lastReconcileAt) / 1000 }],
    },
    {
      name: 'mooring_build_info',
      help: 'Always 1; the labels say which mooring this is.',
      type: 'gauge',
      // Not `instance`: Prometheus gives every scraped sample an `instance` label of its own (the target).
      samples: [{ labels: { version: status.daemon.version, mooring_instance: status.daemon.instance }, value: 1 }],
    },
    {
      name: 'mooring_status_write_success',
      help: 'Whether the last write of the file (status or metrics) succeeded (1) or failed (0).',
      type: 'gauge',
      samples: (options.fileWrites ?? []).map((write) => ({ labels: { file: write.file }, value: write.failure === undefined ? 1 : 0 })),
    },
  ];
  return families
    .filter((family) => family.samples.length > 0)
    .map(renderFamily)
    .join('');
}

function checkLabels(check: ReachabilityStatus): Labels {
  return {
    check: check.name,
    kind: check.kind,
    from: check.from,
    to: check.to,
    port: String(check.port),
    protocol: check.protocol,
    expect: check.expect,
  };
}

function renderFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) lines.push(`${family.name}${renderLabels(sample.labels)} ${renderValue(sample.value)}`);
  return `${lines.join('\n')}\n`;
}

function renderLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function renderValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  // To the microsecond: a duration of 3.284 ms is 0.003284, not the float noise 0.0032839999999999996.
  return String(Number.isInteger(value) ? value : Math.round(value * 1e6) / 1e6);
}
