import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { systemClock } from '../../../src/clock.js';
import { createLogger } from '../../../src/log.js';
import type { AtomicWriteFs, StatusWriterFs } from '../../../src/status/write.js';
import { StatusWriter, writeFileAtomic } from '../../../src/status/write.js';
import { renderMetrics } from '../../../src/status/metrics.js';
import { statusCapBytes } from '../../../src/status/size-cap.js';
import type { Status } from '../../../src/status/model.js';
import { sampleStatus } from '../../unit/status/status-fixture.js';

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** A disk that fills up midway through writing any file whose name contains `failing`: half the bytes land, then ENOSPC. */
function fillingDisk(failing: string): StatusWriterFs & { full: boolean } {
  const disk = {
    full: true,
    readdir: fs.readdir,
    rename: fs.rename,
    rm: fs.rm,
    open: (async (path: string, flags: string, mode: number) => {
      const handle = await fs.open(path, flags, mode);
      if (!disk.full || !path.includes(failing)) return handle;
      return new Proxy(handle, {
        get(target, property) {
          if (property === 'writeFile') {
            return async (content: string) => {
              await target.writeFile(content.slice(0, content.length / 2));
              throw enospc();
            };
          }
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      }) as FileHandle;
    }) as AtomicWriteFs['open'],
  };
  return disk;
}

describe('writeFileAtomic', () => {
  let directory: string;
  beforeEach(async () => (directory = await mkdtemp(join(tmpdir(), 'mooring-write-'))));
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('replaces the file, leaving no temporary file', async () => {
    const path = join(directory, 'status.json');
    await writeFileAtomic(path, 'one\n');
    await writeFileAtomic(path, 'two\n');
    assert.equal(await readFile(path, 'utf8'), 'two\n');
    assert.deepEqual(await readdir(directory), ['status.json']);
  });

  it('removes the temporary file when the disk fills midway, and keeps the old file', async () => {
    const path = join(directory, 'status.json');
    await writeFile(path, 'old\n');
    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(writeFileAtomic(path, 'x'.repeat(4096), fillingDisk('status')), /ENOSPC/);
    }
    assert.deepEqual(await readdir(directory), ['status.json']);
    assert.equal(await readFile(path, 'utf8'), 'old\n');
  });

  it('removes the temporary file when the rename fails', async () => {
    const path = join(directory, 'status.json');
    const failingRename: AtomicWriteFs = { ...fs, rename: () => Promise.reject(Object.assign(new Error('EXDEV'), { code: 'EXDEV' })) };
    await assert.rejects(writeFileAtomic(path, 'new\n', failingRename), /EXDEV/);
    assert.deepEqual(await readdir(directory), []);
  });
});

describe('StatusWriter', () => {
  let directory: string;
  let lines: string[];
  const logged = (text: string) => lines.filter((line) => line.includes(text)).map((line) => JSON.parse(line) as Record<string, unknown>);
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-writer-'));
    lines = [];
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  function writer(fs?: StatusWriterFs): StatusWriter {
    const stream = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    return new StatusWriter({
      statusFile: join(directory, 'status.json'),
      metricsFile: join(directory, 'mooring.prom'),
      logger: createLogger({ stream, format: 'json', level: 'info' }),
      clock: { ...systemClock, now: () => Date.parse('2024-05-01T12:00:00.000Z') },
      ...(fs === undefined ? {} : { fs }),
    });
  }

  it('writes the status as JSON and the metrics as Prometheus text', async () => {
    await writer().write(sampleStatus());
    assert.deepEqual(JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')), sampleStatus());
    const metrics = await readFile(join(directory, 'mooring.prom'), 'utf8');
    assert.ok(metrics.startsWith(renderMetrics(sampleStatus())));
    assert.match(metrics, /^mooring_status_write_success\{file=".*status\.json"\} 1$/m);
  });

  it('does not write a file again when its content is what it holds already, and writes it when the content changes', async () => {
    const opened: string[] = [];
    const counting: StatusWriterFs = { ...fs, open: ((path: string, flags: string, mode: number) => (opened.push(path), fs.open(path, flags, mode))) as AtomicWriteFs['open'] };
    const statusWriter = writer(counting);
    await statusWriter.write(sampleStatus());
    // The second metrics also report the first write of the metrics file itself.
    await statusWriter.write(sampleStatus());
    assert.deepEqual(opened.map((path) => basename(path).split('.')[1]), ['status', 'mooring', 'mooring']);
    await statusWriter.write(sampleStatus());
    assert.equal(opened.length, 3, 'nothing changed: nothing written');
    await statusWriter.write({ ...sampleStatus(), generatedAt: '2024-05-01T12:00:20.000Z' });
    assert.equal(opened.length, 4, 'the status changed, its metrics did not');
    assert.equal(JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')).generatedAt, '2024-05-01T12:00:20.000Z');
  });

  it('still writes the metrics when the status write fails, and says which file failed, once per cause', async () => {
    await writeFile(join(directory, 'status.json'), 'old\n');
    const disk = fillingDisk('status.json');
    const statusWriter = writer(disk);
    for (let attempt = 0; attempt < 5; attempt++) await statusWriter.write(sampleStatus());

    assert.equal(await readFile(join(directory, 'status.json'), 'utf8'), 'old\n');
    assert.deepEqual((await readdir(directory)).sort(), ['mooring.prom', 'status.json']);
    assert.match(await readFile(join(directory, 'mooring.prom'), 'utf8'), /^mooring_status_write_success\{file=".*status\.json"\} 0$/m);
    const errors = logged('writing the status file failed');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.file, join(directory, 'status.json'));
    assert.match(String(errors[0]?.message), /the previous one stays as it was, and reconciling goes on/);
    assert.deepEqual(statusWriter.writes, [
      { file: join(directory, 'status.json'), failure: { error: 'ENOSPC: no space left on device, write', since: '2024-05-01T12:00:00.000Z', count: 5 } },
      { file: join(directory, 'mooring.prom') },
    ]);

    disk.full = false;
    await statusWriter.write(sampleStatus());
    assert.deepEqual(JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')), sampleStatus());
    assert.deepEqual(statusWriter.writes.map((write) => write.failure), [undefined, undefined]);
    assert.equal(logged('writing the status file works again').length, 1);
  });

  it('removes the temp files a process killed mid-write left, and nothing else', async () => {
    const kept = ['.status.json.swp', 'status.json.0123456789ab.tmp', '.status.json.0123456789ab.tmp.old', '.other.json.0123456789ab.tmp'];
    for (const name of [...kept, '.status.json.0123456789ab.tmp', '.mooring.prom.ba9876543210.tmp']) await writeFile(join(directory, name), 'partial');
    await writer().write(sampleStatus());
    assert.deepEqual((await readdir(directory)).sort(), [...kept, 'mooring.prom', 'status.json'].sort());
  });

  it('writes the status when the metrics write fails, and logs the metrics file', async () => {
    const statusWriter = writer(fillingDisk('mooring.prom'));
    await statusWriter.write(sampleStatus());
    assert.deepEqual(await readdir(directory), ['status.json']);
    assert.equal(logged('writing the metrics file failed')[0]?.file, join(directory, 'mooring.prom'));
  });

  it('caps the status file, and says what it left out', async () => {
    const status = sampleStatus();
    const resource = status.resources[0]!;
    // Messages longer than the 1 KiB each resource adds to the cap.
    status.resources = Array.from({ length: 2000 }, (_, i) => ({ ...resource, name: `web-${i}`, conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Running', message: 'x'.repeat(2000), lastTransitionTime: status.generatedAt }] }));
    await writer().write(status);
    const text = await readFile(join(directory, 'status.json'), 'utf8');
    assert.ok(Buffer.byteLength(text) <= statusCapBytes(status), `${Buffer.byteLength(text)} bytes`);
    assert.ok((JSON.parse(text) as Status).truncated !== undefined);
    const written = JSON.parse(text) as ReturnType<typeof sampleStatus>;
    assert.equal(written.resources.length + (written.truncated?.omitted.resources ?? 0), 2000);
    // The metrics are not capped: they list every resource.
    assert.equal((await readFile(join(directory, 'mooring.prom'), 'utf8')).match(/^mooring_resource_ready/gm)?.length, 2000);
  });
});
