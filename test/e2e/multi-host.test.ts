/**
 * Several hosts, end to end: a real two-node Docker Swarm on this machine
 * (scripts/swarm.sh), one real `mooring` per node, each inside its node's
 * network namespace with its own engine socket, instance and status file, all
 * on one manifests directory. Every wait is on a status file or an engine.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Status } from '../../src/status/model.js';
import { RUN_ID, TEST_IMAGE, requireEngine } from '../support/docker.js';
import type { SwarmNode } from '../support/swarm.js';
import { useSwarm } from '../support/swarm.js';
import { MooringProcess, eventually, requireBuild, statusWaiter } from '../support/mooring-process.js';

/** One node's mooring. */
interface Mooring {
  node: SwarmNode;
  instance: string;
  statusFile: string;
  daemon?: MooringProcess;
  until(what: string, check: (status: Status) => boolean, timeoutMs?: number): Promise<Status>;
}

const name = (suffix: string) => `mh${RUN_ID}-${suffix}`;
const MESH = name('mesh');
const WEB = name('web');
const API = name('api');
const MOVER = name('mover');

describe('several hosts on a Swarm overlay, one mooring per node', function () {
  this.timeout(600_000);
  const swarm = useSwarm();
  let directory: string;
  let manifests: string;
  let moorings: Mooring[] = [];

  const app = (moverNode: string) => {
    const [one, two] = swarm.nodes.map((node) => node.name);
    const server = (container: string, node: string) =>
      `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${container} }\nspec:\n  image: ${TEST_IMAGE}\n  pullPolicy: Never\n  node: ${node}\n  command: ["httpd", "-f", "-p", "80", "-h", "/www"]\n  stopTimeout: 1\n  expose: [80]\n  networks: [{ name: ${MESH} }]\n`;
    const link = (from: string, to: string) => `apiVersion: mooring/v1\nkind: Link\nmetadata: { name: ${from}-to-${to} }\nspec: { from: ${from}, to: ${to}, network: ${MESH} }\n`;
    return [
      `apiVersion: mooring/v1\nkind: Network\nmetadata: { name: ${MESH} }\nspec: { driver: overlay, attachable: true }\n`,
      server(WEB, one!),
      server(API, two!),
      server(MOVER, moverNode),
      link(WEB, API),
      link(API, WEB),
    ].join('---\n');
  };

  const check = (status: Status, from: string, to: string) => status.reachability.find((entry) => entry.resource === `Link/${from}-to-${to}`);
  const converged = (mooring: Mooring) => (status: Status) =>
    status.daemon.pid === mooring.daemon?.child.pid &&
    status.engine.reachable === true &&
    status.sync.state === 'Synced' &&
    status.resources.every((resource) => resource.health === 'Healthy') &&
    status.reachability.length > 0 &&
    status.reachability.every((entry) => entry.healthy === true);

  const start = (mooring: Mooring) => {
    mooring.daemon = new MooringProcess(
      [
        'run', '-m', manifests, '--node', mooring.node.name, '--instance', mooring.instance, '--status', mooring.statusFile,
        '--docker-host', mooring.node.socket, '--resync', '2s', '--prune-delay', '1s', '--probe-interval', '1s', '--log-level', 'debug',
      ],
      { prefix: mooring.node.prefix },
    );
  };

  const running = async (node: SwarmNode) => (await node.docker('ps', '--filter', 'label=io.mooring.managed-by=mooring', '--format', '{{.Names}}')).split('\n').filter(Boolean).sort();

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-fleet-'));
    manifests = join(directory, 'manifests');
    await mkdir(manifests);
    moorings = swarm.nodes.map((node, i) => {
      const mooring: Mooring = {
        node,
        instance: `mh${RUN_ID}n${i + 1}`,
        statusFile: join(directory, `node-${i + 1}.json`),
        until: (what, check, timeoutMs = 180_000) => waiter(what, check, timeoutMs),
      };
      const waiter = statusWaiter(() => mooring.statusFile, () => mooring.daemon);
      return mooring;
    });
  });

  after(async () => {
    for (const mooring of moorings) await mooring.daemon?.kill();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('the manager\u2019s mooring creates the overlay once; containers on both nodes join it and reach each other by name', async () => {
    const [one, two] = moorings as [Mooring, Mooring];
    await writeFile(join(manifests, 'app.yaml'), app(one.node.name));
    moorings.forEach(start);
    await one.until('node 1 runs web and mover, and reaches api on node 2 by name', converged(one));
    await two.until('node 2 runs api and reaches web on node 1 by name', converged(two));
    assert.deepEqual(await running(one.node), [MOVER, WEB].sort());
    assert.deepEqual(await running(two.node), [API]);
    const [labels] = (await one.node.docker('network', 'ls', '--filter', `name=${MESH}`, '--format', '{{.Driver}} {{.Label "io.mooring.instance"}}')).split('\n');
    assert.equal(labels, `overlay ${one.instance}`, 'made by the manager\u2019s mooring, under its instance');
    assert.doesNotMatch(two.daemon!.stderr, /created network/, 'the worker\u2019s mooring never creates the overlay');
    const status = await two.until('the worker reports the overlay attached', (status) => status.resources.some((resource) => resource.name === MESH && resource.conditions.some((condition) => condition.reason === 'Attached')));
    assert.equal(status.daemon.node, two.node.name);
  });

  it('a container disconnected on node 2 is repaired by node 2\u2019s mooring: the link to it goes unhealthy, then healthy', async () => {
    const [one, two] = moorings as [Mooring, Mooring];
    // Node 2's mooring is frozen meanwhile, so the break lasts until node 1's probes have seen it.
    two.daemon!.signal('SIGSTOP');
    const cut = Date.now();
    try {
      await two.node.docker('network', 'disconnect', MESH, API);
      await one.until('web on node 1 no longer reaches api', (status) => check(status, WEB, API)?.healthy === false);
    } finally {
      two.daemon!.signal('SIGCONT');
    }
    await two.until('a pass of node 2 after the cut, Synced', (status) => Date.parse(status.sync.lastReconcileAt ?? '') > cut && converged(two)(status));
    assert.match(await two.node.docker('inspect', API, '--format', '{{json .NetworkSettings.Networks}}'), new RegExp(`"${MESH}"`), 'api is on the overlay again');
    await one.until('web on node 1 reaches api again', (status) => check(status, WEB, API)?.healthy === true);
  });

  it('node 2\u2019s engine restarted: its containers come back and are reached again', async () => {
    const [one, two] = moorings as [Mooring, Mooring];
    const pid = await two.node.enginePid();
    assert.ok(pid, 'node 2\u2019s engine runs');
    process.kill(pid, 'SIGTERM');
    await two.until('node 2\u2019s mooring sees its engine gone', (status) => status.engine.reachable === false);
    await eventually('node 2\u2019s dockerd exits', async () => (await two.node.enginePid()) === undefined);
    await swarm.start();
    await two.until('node 2 runs api again, and reaches web', converged(two));
    await one.until('node 1 reaches api again', converged(one));
    assert.deepEqual(await running(two.node), [API]);
  });

  it('a container moved from node 1 to node 2 is removed on node 1 and created on node 2', async () => {
    const [one, two] = moorings as [Mooring, Mooring];
    await writeFile(join(manifests, 'app.yaml'), app(two.node.name));
    await eventually('mover runs on node 2 only', async () => {
      const [first, second] = [await running(one.node), await running(two.node)];
      return !first.includes(MOVER) && second.includes(MOVER);
    }, { timeoutMs: 120_000 });
    await one.until('node 1 is Synced without mover', (status) => converged(one)(status) && !status.resources.some((resource) => resource.name === MOVER));
    await two.until('node 2 is Synced with mover', (status) => converged(two)(status) && status.resources.some((resource) => resource.name === MOVER));
  });

  it('mooring status merges both nodes\u2019 status files into one table with a NODE column', async () => {
    const [one, two] = moorings as [Mooring, Mooring];
    const shown = await MooringProcess.run(['status', '--status', one.statusFile, '--status', two.statusFile]);
    assert.equal(shown.exit.code, 0, shown.stderr);
    const lines = shown.stdout.split('\n');
    for (const mooring of moorings) {
      assert.ok(lines.some((line) => new RegExp(`^${mooring.node.name} +${mooring.instance} +Synced `).test(line)), shown.stdout);
    }
    assert.ok(lines.some((line) => new RegExp(`^${two.node.name} +Container +${MOVER} +Healthy`).test(line)), shown.stdout);
    assert.ok(lines.some((line) => new RegExp(`^${one.node.name} +link/${WEB}-to-${API}:80 +${WEB} +${API} +80/tcp +reachable +Healthy`).test(line)), shown.stdout);
  });
});
