import assert from 'node:assert/strict';
import { renderMetrics } from '../../../src/status/metrics.js';
import { sampleStatus } from './status-fixture.js';
import { promtoolCheck } from '../../support/promtool.js';

const GOLDEN = `# HELP mooring_probe_success Whether the check's last probe met its expectation (1) or not (0).
# TYPE mooring_probe_success gauge
mooring_probe_success{check="link/web-db:5432",kind="link",from="web",to="db",port="5432",protocol="tcp",expect="reachable"} 1
mooring_probe_success{check="probe/isolated:5432",kind="probe",from="web",to="other",port="5432",protocol="tcp",expect="unreachable"} 0
# HELP mooring_probe_duration_seconds Duration of the check's last probe, resolution and connection, in seconds.
# TYPE mooring_probe_duration_seconds gauge
mooring_probe_duration_seconds{check="link/web-db:5432",kind="link",from="web",to="db",port="5432",protocol="tcp",expect="reachable"} 0.00125
mooring_probe_duration_seconds{check="probe/isolated:5432",kind="probe",from="web",to="other",port="5432",protocol="tcp",expect="unreachable"} 0.002
# HELP mooring_reachability_healthy Whether the check is healthy (1) or unhealthy (0) after its thresholds; absent while Unknown.
# TYPE mooring_reachability_healthy gauge
mooring_reachability_healthy{check="link/web-db:5432",kind="link",from="web",to="db",port="5432",protocol="tcp",expect="reachable"} 1
mooring_reachability_healthy{check="probe/isolated:5432",kind="probe",from="web",to="other",port="5432",protocol="tcp",expect="unreachable"} 0
# HELP mooring_reachability_consecutive_failures Failed probes in a row for the check.
# TYPE mooring_reachability_consecutive_failures gauge
mooring_reachability_consecutive_failures{check="link/web-db:5432",kind="link",from="web",to="db",port="5432",protocol="tcp",expect="reachable"} 0
mooring_reachability_consecutive_failures{check="probe/isolated:5432",kind="probe",from="web",to="other",port="5432",protocol="tcp",expect="unreachable"} 3
mooring_reachability_consecutive_failures{check="publish/web-http",kind="publish",from="host",to="127.0.0.1",port="8080",protocol="tcp",expect="reachable"} 0
# HELP mooring_reachability_checks Reachability checks by state.
# TYPE mooring_reachability_checks gauge
mooring_reachability_checks{state="healthy"} 1
mooring_reachability_checks{state="unhealthy"} 1
mooring_reachability_checks{state="unknown"} 1
# HELP mooring_resource_ready Whether the declared resource is Healthy (1) or not (0).
# TYPE mooring_resource_ready gauge
mooring_resource_ready{kind="Container",name="web"} 1
mooring_resource_ready{kind="Network",name="back"} 0
# HELP mooring_manifest_valid Whether the manifest file is valid (1) or not (0).
# TYPE mooring_manifest_valid gauge
mooring_manifest_valid{file="app.yaml"} 1
mooring_manifest_valid{file="dir/\\"odd\\"\\\\name.yaml"} 0
# HELP mooring_reconcile_total Reconcile passes since the daemon started.
# TYPE mooring_reconcile_total counter
mooring_reconcile_total 17
# HELP mooring_reconcile_errors_total Reconcile passes that ended with an error since the daemon started.
# TYPE mooring_reconcile_errors_total counter
mooring_reconcile_errors_total 2
# HELP mooring_last_reconcile_timestamp_seconds When the last reconcile pass ended, in seconds since the Unix epoch.
# TYPE mooring_last_reconcile_timestamp_seconds gauge
mooring_last_reconcile_timestamp_seconds 1714564800.5
# HELP mooring_build_info Always 1; the labels say which mooring this is.
# TYPE mooring_build_info gauge
mooring_build_info{version="0.1.0",mooring_instance="default"} 1
`;

describe('renderMetrics', () => {
  it('renders the status in the Prometheus text format (golden)', () => {
    assert.equal(renderMetrics(sampleStatus()), GOLDEN);
  });

  it('leaves out probe samples that say nothing about the network, and Unknown health', () => {
    const text = renderMetrics(sampleStatus());
    assert.doesNotMatch(text, /mooring_probe_success\{check="publish\/web-http"/);
    assert.doesNotMatch(text, /mooring_reachability_healthy\{check="publish\/web-http"/);
  });

  it('has a 0 sample for a target that is not running when reachable is expected, and none when unreachable is (isolation untested)', () => {
    const status = sampleStatus();
    const [link, isolated] = status.reachability;
    assert.ok(link?.lastProbe && isolated?.lastProbe);
    link.lastProbe = { ...link.lastProbe, success: false, reason: 'TargetNotRunning' };
    isolated.lastProbe = { ...isolated.lastProbe, success: false, reason: 'TargetNotRunning' };
    const text = renderMetrics(status);
    assert.match(text, /^mooring_probe_success\{check="link\/web-db:5432",.*\} 0$/m);
    assert.doesNotMatch(text, /mooring_probe_success\{check="probe\/isolated:5432"/);
  });

  it('escapes backslashes, quotes and newlines in label values', () => {
    const status = sampleStatus();
    status.manifests = [{ file: 'a\\b"c\nd.yaml', valid: true, usingLastKnownGood: false, errors: [], documents: [] }];
    assert.match(renderMetrics(status), /^mooring_manifest_valid\{file="a\\\\b\\"c\\nd\.yaml"\} 1$/m);
  });

  it('has no timestamps and one HELP and TYPE per metric', () => {
    const lines = renderMetrics(sampleStatus()).trimEnd().split('\n');
    const samples = lines.filter((line) => !line.startsWith('#'));
    assert.ok(samples.every((line) => /^[a-z_]+(\{.*\})? [-+0-9.eInfNa]+$/.test(line)), 'a sample line has more than a name, labels and a value');
    const helps = lines.filter((line) => line.startsWith('# HELP')).map((line) => line.split(' ')[2]);
    assert.deepEqual(helps, [...new Set(helps)]);
    assert.equal(lines.filter((line) => line.startsWith('# TYPE')).length, helps.length);
  });

  it('leaves out the last-reconcile timestamp before the first pass', () => {
    const status = sampleStatus();
    delete status.sync.lastReconcileAt;
    assert.doesNotMatch(renderMetrics(status), /mooring_last_reconcile_timestamp_seconds/);
  });

  it('names the instance `mooring_instance`, not the `instance` label Prometheus gives every target', () => {
    assert.match(renderMetrics(sampleStatus()), /^mooring_build_info\{version="0\.1\.0",mooring_instance="default"\} 1$/m);
    assert.doesNotMatch(renderMetrics(sampleStatus()), /[{,]instance=/);
  });

  it('rounds durations to the microsecond, without float noise', () => {
    const status = sampleStatus();
    status.reachability[0]!.lastProbe!.durationMs = (0.1 + 0.2) * 10;
    assert.match(renderMetrics(status), /^mooring_probe_duration_seconds\{check="link\/web-db:5432",.*\} 0\.003$/m);
    status.reachability[0]!.lastProbe!.durationMs = 3.284;
    assert.match(renderMetrics(status), /^mooring_probe_duration_seconds\{check="link\/web-db:5432",.*\} 0\.003284$/m);
    status.reachability[0]!.lastProbe!.durationMs = 0.0004;
    assert.match(renderMetrics(status), /^mooring_probe_duration_seconds\{check="link\/web-db:5432",.*\} 0$/m);
  });

  it('says which of the files the daemon writes failed their last write', () => {
    const text = renderMetrics(sampleStatus(), {
      fileWrites: [{ file: '/var/lib/mooring/status.json', failure: { error: 'ENOSPC', since: '2024-05-01T12:00:00.000Z', count: 2 } }, { file: '/m/mooring.prom' }],
    });
    assert.match(text, /^mooring_status_write_success\{file="\/var\/lib\/mooring\/status\.json"\} 0$/m);
    assert.match(text, /^mooring_status_write_success\{file="\/m\/mooring\.prom"\} 1$/m);
    assert.doesNotMatch(renderMetrics(sampleStatus()), /mooring_status_write_success/);
  });

  it('passes promtool check metrics', async () => {
    const { code, output } = await promtoolCheck(renderMetrics(sampleStatus(), { fileWrites: [{ file: '/s/status.json', failure: { error: 'EROFS', since: '2024-05-01T12:00:00.000Z', count: 1 } }, { file: '/m/mooring.prom' }] }));
    assert.equal(output, '');
    assert.equal(code, 0);
  });
});
