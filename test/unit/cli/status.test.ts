import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatStatus } from '../../../src/cli/status.js';
import { STATUS_NOW as NOW, runStatus as status } from '../../support/status-command.js';
import { directoryPerTest } from '../../support/temp-directory.js';
import { sampleStatus } from '../status/status-fixture.js';

describe('mooring status', () => {
  const dir = directoryPerTest('mooring-status-');

  it('prints the sync state, the manifests, the resources and the reachability as tables', async () => {
    const file = join(dir(), 'status.json');
    await writeFile(file, JSON.stringify(sampleStatus()));
    const shown = await status('--status', file);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, formatStatus(sampleStatus(), NOW));
    const lines = shown.stdout.split('\n');
    assert.equal(lines[1], 'Status written 2024-05-01T12:00:10.000Z (5s ago)');
    assert.equal(lines[2], 'Engine:  reachable, version 20.10.24');
    assert.equal(lines[3], 'Sync:    Synced, revision abc, last pass 2024-05-01T12:00:00.500Z (15s ago, 120 ms), 17 passes, 2 with errors');
    assert.ok(lines.includes('dir/"odd"\\name.yaml  no*    0          dir/"odd"\\name.yaml:1:1: bad'), shown.stdout);
    assert.ok(lines.includes('(* invalid: its last good version stays applied)'));
    assert.ok(lines.includes('Network    back  Degraded  app.yaml'), shown.stdout);
    const checks = lines.findIndex((line) => line.startsWith('CHECK'));
    assert.deepEqual(lines.slice(checks, checks + 4), [
      'CHECK                FROM  TO         PORT      EXPECT       HEALTH     LAST PROBE',
      'link/web-db:5432     web   db         5432/tcp  reachable    Healthy    Connected 1.3 ms via nsenter',
      'probe/isolated:5432  web   other      5432/tcp  unreachable  Unhealthy  Connected 2.0 ms via nsenter: connected',
      'publish/web-http     host  127.0.0.1  8080/tcp  reachable    Unknown    ProbeError via host: engine down',
    ]);
    assert.ok(lines.includes('3 checks: 1 healthy, 1 unhealthy, 1 unknown'));
  });

  it('shows the first condition that is not True, and an engine that does not answer', () => {
    const sample = sampleStatus();
    sample.engine = { reachable: false, lastError: 'connect ECONNREFUSED /var/run/docker.sock' };
    sample.sync = { ...sample.sync, state: 'Degraded', message: 'the engine does not answer' };
    sample.daemon.stoppedAt = '2024-05-01T12:00:10.000Z';
    sample.resources[0]!.conditions = [
      { type: 'Synced', status: 'True', reason: 'InSync', message: '', lastTransitionTime: '2024-05-01T11:00:00.000Z' },
      { type: 'Ready', status: 'False', reason: 'CrashLoopBackOff', message: 'back-off 20s', lastTransitionTime: '2024-05-01T11:00:00.000Z' },
    ];
    const text = formatStatus(sample, NOW);
    assert.match(text, /^Engine: {2}NOT reachable: connect ECONNREFUSED \/var\/run\/docker\.sock$/m);
    sample.engine = { reachable: null };
    assert.match(formatStatus(sample, NOW), /^Engine: {2}unknown: not contacted yet$/m);
    assert.match(text, /; the daemon stopped at 2024-05-01T12:00:10\.000Z$/m);
    assert.match(text, /^ {9}the engine does not answer$/m);
    assert.match(text, /^Container +web +Healthy +app\.yaml +Ready=False CrashLoopBackOff: back-off 20s$/m);
  });

  it('passes the file through with -o json', async () => {
    const file = join(dir(), 'status.json');
    const text = `${JSON.stringify(sampleStatus(), null, 2)}\n`;
    await writeFile(file, text);
    const shown = await status('--status', file, '-o', 'json');
    assert.equal(shown.code, 0);
    assert.equal(shown.stdout, text);
  });

  it('says clearly when there is no status file, or it is not one', async () => {
    const missing = await status('--status', join(dir(), 'nope.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no status file at .*nope\.json; is `mooring run --status .*nope\.json` running\?/);
    const file = join(dir(), 'other.json');
    await writeFile(file, '{"kind": "Other"}');
    const other = await status('--status', file);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /is not a mooring status file: expected kind Status, got "Other"/);
  });
});
