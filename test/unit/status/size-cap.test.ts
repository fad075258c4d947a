import assert from 'node:assert/strict';
import type { ResourceStatus, Status } from '../../../src/status/model.js';
import { capStatus, renderStatus } from '../../../src/status/size-cap.js';
import { statusSchemaErrors } from '../../support/status-schema.js';
import { sampleStatus } from './status-fixture.js';

const bytes = (status: Status) => Buffer.byteLength(JSON.stringify(status, null, 2)) + 1;

/** A directory of 2,000 documents: 1,990 healthy containers, 10 degraded, and a file with 500 errors. */
function largeStatus(): Status {
  const status = sampleStatus();
  const resource = (i: number): ResourceStatus => ({
    kind: 'Container',
    name: `web-${i}`,
    source: 'many.yaml',
    health: i % 200 === 7 ? 'Degraded' : 'Healthy',
    conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'running as declared, for a while now', lastTransitionTime: status.generatedAt }],
  });
  status.resources = Array.from({ length: 2000 }, (_, i) => resource(i));
  status.manifests.push({
    file: 'broken.yaml',
    valid: false,
    usingLastKnownGood: false,
    errors: Array.from({ length: 500 }, (_, i) => ({ line: i + 1, column: 3, message: `error number ${i}` })),
    documents: [],
  });
  return status;
}

/**
 * The status of the benchmark's scale scenario at N containers, converged and
 * healthy: N/2 Links checked, 6 networks, one file per network.
 */
function hostStatus(n: number): Status {
  const status = sampleStatus();
  const at = status.generatedAt;
  const condition = (type: string, reason: string, message = '') => ({ type, status: 'True' as const, reason, message, lastTransitionTime: at });
  const file = (i: number) => `mb1a2b-sc-n${i % 6}.yaml`;
  const dockerId = (i: number) => i.toString(16).padStart(64, 'c');
  status.manifests = Array.from({ length: 6 }, (_, f) => ({
    file: file(f),
    valid: true,
    usingLastKnownGood: false,
    errors: [],
    documents: Array.from({ length: n / 6 }, (_, i) => ({ kind: 'Container', name: `mb1a2b-sc-c${6 * i + f}` })),
  }));
  status.resources = [
    ...Array.from({ length: 6 }, (_, i): ResourceStatus => ({ kind: 'Network', name: `mb1a2b-sc-n${i}`, source: file(i), dockerId: dockerId(i), health: 'Healthy', conditions: [condition('Synced', 'InSync'), condition('Ready', 'Created')] })),
    ...Array.from({ length: n }, (_, i): ResourceStatus => ({ kind: 'Container', name: `mb1a2b-sc-c${i}`, source: file(i), dockerId: dockerId(i), health: 'Healthy', conditions: [condition('Synced', 'InSync'), condition('Ready', 'Running')] })),
    ...Array.from({ length: n / 2 }, (_, i): ResourceStatus => ({ kind: 'Link', name: `mb1a2b-sc-l${i}`, source: file(i), health: 'Healthy', conditions: [condition('Reachable', 'AsExpected', '1 check healthy')] })),
  ];
  const template = status.reachability[0]!;
  status.reachability = Array.from({ length: n / 2 }, (_, i) => ({
    ...template,
    name: `link/mb1a2b-sc-l${i}:80`,
    resource: `Link/mb1a2b-sc-l${i}`,
    from: `mb1a2b-sc-c${i}`,
    to: `mb1a2b-sc-c${i + n / 2}`,
    port: 80,
    lastProbe: { ...template.lastProbe!, resolvedAddresses: [`172.20.${i >> 8}.${i & 255}`], message: `connected to 172.20.${i >> 8}.${i & 255}:80`, method: 'setns' },
  }));
  return status;
}

describe('capStatus', () => {
  it('keeps every entry of a healthy host of 500 containers: the cap grows with what the status reports', () => {
    const status = hostStatus(500);
    // Over the 256 KiB the cap was before it grew with the host.
    assert.ok(bytes(status) > 512 * 1024, `${bytes(status)} bytes`);
    const text = renderStatus(status);
    assert.equal(text, `${JSON.stringify(status, null, 2)}\n`);
    assert.equal((JSON.parse(text) as Status).truncated, undefined);
  });

  it('still caps what does not grow with the host: a file with thousands of errors', () => {
    const status = hostStatus(500);
    const broken = { file: 'broken.yaml', valid: false, usingLastKnownGood: false, documents: [], errors: Array.from({ length: 20_000 }, (_, i) => ({ line: i + 1, column: 3, message: `error number ${i}` })) };
    status.manifests.push(broken);
    const capped = JSON.parse(renderStatus(status)) as Status;
    assert.ok(capped.truncated !== undefined);
    // The host's entries all stay; the errors past the file's first few go.
    assert.equal(capped.resources.length, status.resources.length);
    assert.equal(capped.reachability.length, status.reachability.length);
    assert.ok(capped.truncated.omitted.manifestErrors > 0);
  });


  it('leaves a status within the cap as it is', () => {
    const status = sampleStatus();
    assert.equal(capStatus(status), status);
  });

  it('fits the cap, leaving out healthy entries before troubled ones, and says how many', () => {
    const status = largeStatus();
    assert.ok(bytes(status) > 600 * 1024);
    const capped = capStatus(status, 64 * 1024);
    assert.ok(bytes(capped) <= 64 * 1024, `${bytes(capped)} bytes`);
    assert.deepEqual(statusSchemaErrors(capped), []);
    // Every Degraded resource and a file's first errors stay; what went is counted.
    assert.equal(capped.resources.filter((resource) => resource.health === 'Degraded').length, 10);
    assert.deepEqual(capped.manifests.find((file) => file.file === 'broken.yaml')?.errors.slice(0, 5).map((error) => error.message), [0, 1, 2, 3, 4].map((i) => `error number ${i}`));
    assert.equal(capped.resources.length + (capped.truncated?.omitted.resources ?? 0), 2000);
    assert.equal(capped.truncated?.omitted.manifestErrors, 495);
    assert.match(capped.truncated?.message ?? '', /capped at 65536 bytes; left out, healthy entries first: \d+ resources, 1 reachability check, 495 manifest errors\./);
    // The summary still counts everything.
    assert.deepEqual(capped.reachabilitySummary, status.reachabilitySummary);
  });

  it('fits even when nothing healthy is left to leave out', () => {
    const status = largeStatus();
    for (const resource of status.resources) resource.health = 'Degraded';
    const capped = capStatus(status, 32 * 1024);
    assert.ok(bytes(capped) <= 32 * 1024, `${bytes(capped)} bytes`);
    assert.deepEqual(statusSchemaErrors(capped), []);
  });
});
