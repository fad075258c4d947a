/**
 * Build contexts read from the real file system: the files a build sends
 * (`.dockerignore` as Docker reads it) and the digest that decides whether an
 * image is built again.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BuildContextCache, BuildContextError, readBuildContext } from '../../../src/manifests/build-context.js';
import type { BuildSettings } from '../../../src/manifests/build-context.js';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';

describe('build contexts', () => {
  let directory: string;
  let context: string;
  const settings = (overrides: Partial<BuildSettings> = {}): BuildSettings => ({ context: './app', dockerfile: 'Dockerfile', args: {}, target: undefined, ...overrides });
  const read = (overrides: Partial<BuildSettings> = {}, cache = new BuildContextCache()) => readBuildContext(context, settings(overrides), cache);

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'mooring-build-context-'));
    context = path.join(directory, 'app');
    await mkdir(path.join(context, 'src'), { recursive: true });
    await mkdir(path.join(context, 'node_modules', 'dep'), { recursive: true });
    await mkdir(path.join(context, 'logs'));
    await writeFile(path.join(context, 'Dockerfile'), 'FROM scratch\n');
    await writeFile(path.join(context, 'src', 'main.js'), 'console.log(1)\n');
    await writeFile(path.join(context, 'node_modules', 'dep', 'index.js'), 'module.exports = 1\n');
    await writeFile(path.join(context, 'logs', 'a.log'), 'x\n');
    await writeFile(path.join(context, 'logs', 'keep.log'), 'y\n');
    await writeFile(path.join(context, '.dockerignore'), 'node_modules\nlogs/*\n!logs/keep.log\nDockerfile\n.dockerignore\n');
  });

  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('sends what .dockerignore leaves, its exceptions, and always the Dockerfile and .dockerignore', async () => {
    const read1 = await read();
    assert.deepEqual(read1.files, ['.dockerignore', 'Dockerfile', 'logs/keep.log', 'src/main.js']);
    assert.equal(read1.directory, context);
    assert.equal((await read()).digest, read1.digest, 'the same context gives the same digest');
  });

  it('changes the digest with a sent file, its mode, the build args and the target, and not with an ignored file', async () => {
    const cache = new BuildContextCache();
    const first = (await read({}, cache)).digest;
    await writeFile(path.join(context, 'node_modules', 'dep', 'index.js'), 'module.exports = 2\n');
    await writeFile(path.join(context, 'logs', 'a.log'), 'changed\n');
    assert.equal((await read({}, cache)).digest, first);

    await writeFile(path.join(context, 'src', 'main.js'), 'console.log(2)\n');
    const edited = (await read({}, cache)).digest;
    assert.notEqual(edited, first, 'a file edited in place is read again');
    await chmod(path.join(context, 'src', 'main.js'), 0o755);
    const executable = (await read({}, cache)).digest;
    assert.notEqual(executable, edited);
    assert.notEqual((await read({ args: { VERSION: '2' } }, cache)).digest, executable);
    assert.notEqual((await read({ target: 'prod' }, cache)).digest, executable);
  });

  it('leaves a FIFO out of the context without opening it, which would block the load', async () => {
    await promisify(execFile)('mkfifo', [path.join(context, 'src', 'pipe')]);
    assert.deepEqual((await read()).files, ['.dockerignore', 'Dockerfile', 'logs/keep.log', 'src/main.js']);
  });

  it('refuses a missing context, a missing Dockerfile and one outside the context, naming the field', async () => {
    await assert.rejects(readBuildContext(path.join(directory, 'absent'), settings(), new BuildContextCache()), (error) => error instanceof BuildContextError && error.field === 'context' && /cannot read the build context/.test(error.message));
    await assert.rejects(read({ dockerfile: 'Containerfile' }), (error) => error instanceof BuildContextError && error.field === 'dockerfile' && /expected a Dockerfile at .*Containerfile, got none/.test(error.message));
    await assert.rejects(read({ dockerfile: '../Dockerfile' }), (error) => error instanceof BuildContextError && error.field === 'dockerfile' && /inside the context/.test(error.message));
  });

  it('locates a context that cannot be read at its field, and keeps the rest of the file', async () => {
    await writeFile(path.join(directory, 'stack.yaml'), [
      'apiVersion: mooring/v1',
      'kind: Container',
      'metadata: { name: api }',
      'spec:',
      '  image: example/api:dev',
      '  build:',
      '    context: ./missing',
      '---',
      'apiVersion: mooring/v1',
      'kind: Container',
      'metadata: { name: web }',
      'spec: { image: example/web:1, build: ./app }',
      '',
    ].join('\n'));
    const loaded = await loadDesiredState({ directory });
    const [error, ...others] = loaded.files.flatMap((file) => file.errors);
    assert.deepEqual(others, []);
    assert.equal(error?.file, 'stack.yaml');
    assert.equal(error?.line, 7);
    assert.equal(error?.path, 'spec.build.context');
    assert.match(error?.message ?? '', /cannot read the build context .*missing/);
    assert.deepEqual(loaded.desired.containers.map((container) => container.name), ['api', 'web']);
    assert.equal(loaded.desired.inputs?.builds?.get('web')?.value?.files.includes('src/main.js'), true);
  });
});
