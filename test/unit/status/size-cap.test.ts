import assert from 'node:assert/strict';
import type { ResourceStatus, Status } from '../../../src/status/model.js';
import { capStatus } from '../../../src/status/size-cap.js';
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

describe('capStatus', () => {
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
