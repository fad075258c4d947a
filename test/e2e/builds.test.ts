/**
 * A Compose service built from its directory under `mooring run` (issues 15
 * and 16): built and run, built anew and recreated when a context file
 * changes, and a broken build is an error on that service alone while its
 * container keeps running.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import type { Status } from '../../src/status/model.js';
import { eventually, MooringProcess, requireBuild, statusWaiter } from '../support/mooring-process.js';

describe('mooring run builds a Compose service from its directory, end to end', function () {
  this.timeout(180_000);
  const instance = `e2e-builds-${RUN_ID}`;
  const project = uniqueName('built');
  const web = `${project}-web-1`;
  const client = `${project}-client-1`;
  const image = `${project}-web`;
  let directory: string;
  let projectDirectory: string;
  let statusFile: string;
  let daemon: MooringProcess | undefined;
  const statusUntil = statusWaiter(() => statusFile, () => daemon);

  const dockerfile = (step = 'COPY index.html /www/index.html') => `FROM ${TEST_IMAGE}\nRUN mkdir -p /www\n${step}\n`;
  const idOf = (name: string) => dockerMaybe('inspect', '-f', '{{.Id}}', name);
  const served = (name: string) => dockerMaybe('exec', name, 'cat', '/www/index.html');
  const healthy = (status: Status) =>
    status.sync.state === 'Synced' &&
    status.resources.every((resource) => resource.health === 'Healthy') &&
    status.reachability.some((check) => check.name === `probe/${client}-to-web:8080` && check.healthy === true);

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-builds-'));
    projectDirectory = join(directory, 'manifests', project);
    statusFile = join(directory, 'status.json');
    await mkdir(join(projectDirectory, 'web'), { recursive: true });
    await writeFile(join(projectDirectory, 'web', 'Dockerfile'), dockerfile());
    await writeFile(join(projectDirectory, 'web', 'index.html'), 'v1\n');
    await writeFile(join(projectDirectory, 'compose.yaml'), `services:
  web:
    build: ./web
    command: httpd -f -p 8080 -h /www
    expose: [8080]
    stop_grace_period: 1s
  client:
    image: ${TEST_IMAGE}
    pull_policy: never
    command: sleep 3600
    depends_on: [web]
    stop_grace_period: 1s
`);
    // The resync is far away: the context edits are picked up by SIGHUP, as an operator would ask.
    daemon = new MooringProcess(['run', '-m', join(directory, 'manifests'), '--instance', instance, '--status', statusFile, '--probe-interval', '1s', '--resync', '10m', '--log-level', 'debug']);
  });

  after(async () => {
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    await dockerMaybe('rmi', '-f', image);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('builds the image, runs it, and the client reaches it', async () => {
    await statusUntil('the project is Synced and its check Healthy', healthy);
    assert.equal(await served(web), 'v1');
    assert.equal(await docker('inspect', '-f', '{{.Config.Image}}', web), image);
    assert.match(daemon!.stderr, /"level":"debug","message":"Step \d+\/\d+ : COPY index.html \/www\/index.html"/, 'the build output is in the debug log');
  });

  it('builds anew and recreates the container when a context file changes', async () => {
    const before = await idOf(web);
    await writeFile(join(projectDirectory, 'web', 'index.html'), 'v2\n');
    daemon!.signal('SIGHUP');
    await eventually('web serves the new file from a new container', async () => ((await served(web)) === 'v2' && (await idOf(web)) !== before ? true : undefined));
    await statusUntil('Synced and Healthy again', healthy);
  });

  it('reports a broken build on its service alone, and keeps its container running', async () => {
    const ids = await Promise.all([web, client].map(idOf));
    await writeFile(join(projectDirectory, 'web', 'Dockerfile'), dockerfile('RUN echo "the step that breaks" && exit 7'));
    daemon!.signal('SIGHUP');
    const broken = await statusUntil('web is Degraded with its build error', (current) =>
      current.resources.some((resource) => resource.name === web && resource.health === 'Degraded' && /returned a non-zero code: 7/.test(resource.lastError ?? '')));
    const resource = broken.resources.find((entry) => entry.name === web)!;
    assert.match(resource.lastError ?? '', /the step that breaks/, 'the build\'s last lines are in the error');
    assert.equal(broken.resources.find((entry) => entry.name === client)?.health, 'Healthy');
    assert.deepEqual(await Promise.all([web, client].map(idOf)), ids);
    assert.equal(await served(web), 'v2');
  });
});
