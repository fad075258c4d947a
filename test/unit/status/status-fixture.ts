/** A status as the daemon would write it, with one check of every kind of result. */
import type { Status } from '../../../src/status/model.js';

export function sampleStatus(): Status {
  return {
    apiVersion: 'mooring/v1',
    kind: 'Status',
    generatedAt: '2024-05-01T12:00:10.000Z',
    daemon: { version: '0.1.0', instance: 'default', pid: 4242, startedAt: '2024-05-01T11:00:00.000Z', manifestsDirectory: '/etc/mooring' },
    engine: { reachable: true, version: '20.10.24' },
    sync: { state: 'Synced', revision: 'abc', lastReconcileAt: '2024-05-01T12:00:00.500Z', lastReconcileDurationMs: 120, reconcileTotal: 17, reconcileErrorsTotal: 2 },
    manifests: [
      { file: 'app.yaml', valid: true, usingLastKnownGood: false, errors: [], documents: [{ kind: 'Container', name: 'web' }] },
      { file: 'dir/"odd"\\name.yaml', valid: false, usingLastKnownGood: true, errors: [{ line: 1, column: 1, message: 'bad' }], documents: [] },
    ],
    resources: [
      { kind: 'Container', name: 'web', source: 'app.yaml', health: 'Healthy', conditions: [] },
      { kind: 'Network', name: 'back', source: 'app.yaml', health: 'Degraded', conditions: [] },
    ],
    reachability: [
      {
        name: 'link/web-db:5432',
        resource: 'Link/web-db',
        kind: 'link',
        from: 'web',
        to: 'db',
        port: 5432,
        protocol: 'tcp',
        expect: 'reachable',
        healthy: true,
        consecutiveFailures: 0,
        consecutiveSuccesses: 4,
        lastTransitionTime: '2024-05-01T11:00:10.000Z',
        lastProbe: { at: '2024-05-01T12:00:10.000Z', success: true, durationMs: 1.25, resolvedAddresses: ['172.18.0.3'], reason: 'Connected', message: 'connected', method: 'nsenter' },
      },
      {
        name: 'probe/isolated:5432',
        resource: 'Probe/isolated',
        kind: 'probe',
        from: 'web',
        to: 'other',
        port: 5432,
        protocol: 'tcp',
        expect: 'unreachable',
        healthy: false,
        consecutiveFailures: 3,
        consecutiveSuccesses: 0,
        lastProbe: { at: '2024-05-01T12:00:10.000Z', success: false, durationMs: 2, resolvedAddresses: ['172.19.0.2'], reason: 'Connected', message: 'connected', method: 'nsenter' },
      },
      {
        name: 'publish/web-http',
        resource: 'PortPublish/web-http',
        kind: 'publish',
        from: 'host',
        to: '127.0.0.1',
        port: 8080,
        protocol: 'tcp',
        expect: 'reachable',
        healthy: null,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        lastProbe: { at: '2024-05-01T12:00:10.000Z', success: false, durationMs: 0, resolvedAddresses: [], reason: 'ProbeError', message: 'engine down', method: 'host' },
      },
    ],
    reachabilitySummary: { total: 3, healthy: 1, unhealthy: 1, unknown: 1 },
  };
}
