import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import type { Status } from '../../src/status/model.js';
import { eventually, MooringProcess, requireBuild, statusWaiter } from '../support/mooring-process.js';

async function inspect(name: string): Promise<{ Id: string; State: { Running: boolean }; Config: { Env: string[] } } | undefined> {
  const text = await dockerMaybe('container', 'inspect', name);
  return text === undefined ? undefined : (JSON.parse(text) as { Id: string; State: { Running: boolean }; Config: { Env: string[] } }[])[0];
}

describe('mooring run on a directory with a compose.yaml, end to end', function () {
  this.timeout(180_000);
  const instance = `e2e-compose-${RUN_ID}`;
  // The project directory's name is the project's name.
  const project = uniqueName('shop');
  const web = `${project}-web-1`;
  const db = `${project}-db-1`;
  let directory: string;
  let projectDirectory: string;
  let statusFile: string;
  let daemon: MooringProcess | undefined;
  const statusUntil = statusWaiter(() => statusFile, () => daemon);

  /** Line numbers in the tests refer to this text: the port is on line 7. */
  const compose = (port = '"127.0.0.1::8080"') => `services:
  web:
    image: ${TEST_IMAGE}
    pull_policy: never
    command: httpd -f -p 8080
    ports:
      - ${port}
    environment:
      GREETING: \${GREETING:?set it in .env}
    depends_on: [db]
    stop_grace_period: 1s
  db:
    image: ${TEST_IMAGE}
    pull_policy: never
    command: ["nc", "-ll", "-p", "5432", "-e", "cat"]
    expose: [5432]
    stop_grace_period: 1s
`;

  const checksHealthy = (status: Status) =>
    status.sync.state === 'Synced' &&
    status.resources.every((resource) => resource.health === 'Healthy') &&
    [`probe/${web}-to-db:5432`, `publish/${web}-8080-tcp`].every((name) => status.reachability.some((check) => check.name === name && check.healthy === true));

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-compose-'));
    projectDirectory = join(directory, 'manifests', project);
    statusFile = join(directory, 'status.json');
    await mkdir(projectDirectory, { recursive: true });
    daemon = new MooringProcess(['run', '-m', join(directory, 'manifests'), '--instance', instance, '--status', statusFile, '--probe-interval', '1s', '--resync', '10m', '--log-level', 'debug']);
    await statusUntil('the daemon reports an empty, synced directory', (current) => current.engine.reachable === true && current.sync.state === 'Synced');
  });

  after(async () => {
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('converges the project, with Compose\'s names, and the status shows its services reaching each other', async () => {
    await writeFile(join(projectDirectory, '.env'), 'GREETING=hello\n');
    await writeFile(join(projectDirectory, 'compose.yaml'), compose());
    const current = await statusUntil('the project is Synced and its checks Healthy', checksHealthy);
    assert.deepEqual(current.resources.map((resource) => `${resource.kind}/${resource.name}`).sort(), [
      `Container/${db}`, `Container/${web}`, `Network/${project}_default`, `PortPublish/${web}-8080-tcp`, `Probe/${web}-to-db`,
    ].sort());
    assert.ok((await inspect(web))?.Config.Env.includes('GREETING=hello'));
    const aliases = await docker('inspect', '--format', `{{json (index .NetworkSettings.Networks "${project}_default").Aliases}}`, db);
    assert.ok((JSON.parse(aliases) as string[]).includes('db'));
  });

  it('repairs `docker rm -f` of one of its containers', async () => {
    const before = (await inspect(db))?.Id;
    await docker('rm', '-f', db);
    await eventually('db runs again', async () => {
      const found = await inspect(db);
      return found?.State.Running && found.Id !== before ? found : undefined;
    });
    await statusUntil('the checks are Healthy again', checksHealthy);
  });

  it('keeps the last good version through a broken edit, and the status says where the error is', async () => {
    const ids = await Promise.all([web, db].map(async (name) => (await inspect(name))?.Id));
    await writeFile(join(projectDirectory, 'compose.yaml'), compose('"eighty"'));
    const broken = await statusUntil('compose.yaml is invalid in the status', (current) => current.manifests.some((file) => file.file === `${project}/compose.yaml` && !file.valid));
    const file = broken.manifests.find((entry) => entry.file === `${project}/compose.yaml`)!;
    assert.equal(file.usingLastKnownGood, true);
    assert.deepEqual([file.errors[0]?.line, file.errors[0]?.column, file.errors[0]?.message], [7, 9, 'expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], got "eighty"']);
    assert.deepEqual(await Promise.all([web, db].map(async (name) => (await inspect(name))?.Id)), ids);

    await writeFile(join(projectDirectory, 'compose.yaml'), compose());
    await statusUntil('compose.yaml is valid again', (current) => current.manifests.some((entry) => entry.file === `${project}/compose.yaml` && entry.valid));
    // A change to .env alone is a change to the project.
    await writeFile(join(projectDirectory, '.env'), 'GREETING=again\n');
    await eventually('web runs with the new .env', async () => (await inspect(web))?.Config.Env.includes('GREETING=again') && (await inspect(web))?.State.Running);
    await statusUntil('Synced and Healthy again', checksHealthy);
  });
});
