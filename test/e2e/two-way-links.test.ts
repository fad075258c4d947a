/**
 * Containers that reach each other both ways, end to end: the example's pair
 * (manifests/two-way-links.yaml, under this run's names) and a ring of three,
 * validated, applied and probed by the real `mooring` process; then one member
 * of each is removed by hand, recreated by the daemon, and every link answers
 * again in the next probe round.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReachabilityStatus } from '../../src/probes/model.js';
import type { Status } from '../../src/status/model.js';
import { RUN_ID, TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import { eventually, MooringProcess, requireBuild, statusWaiter } from '../support/mooring-process.js';

const EXAMPLE = fileURLToPath(new URL('../../manifests/two-way-links.yaml', import.meta.url));

/** The example's text with this run's names for its containers and network; its Links keep their names. */
async function examplePair(names: Record<'container1' | 'container2' | 'two-way-net', string>): Promise<string> {
  const text = await readFile(EXAMPLE, 'utf8');
  return text.replace(/(?<=\b(?:name|from|to|network): )(container1|container2|two-way-net)$/gm, (name) => names[name as keyof typeof names]);
}

function ring(net: string, members: readonly [string, string, string]): string {
  const listener = (name: string) => `---
apiVersion: mooring/v1
kind: Container
metadata: { name: ${name} }
spec:
  image: ${TEST_IMAGE}
  pullPolicy: Never
  command: ["nc", "-ll", "-p", "9000", "-e", "cat"]
  stopTimeout: 1
  networks: [{ name: ${net} }]
`;
  const link = (from: number, to: number) => `---
apiVersion: mooring/v1
kind: Link
metadata: { name: ring-${from}-${to} }
spec: { from: ${members[from - 1]}, to: ${members[to - 1]}, network: ${net}, ports: [9000] }
`;
  return [`apiVersion: mooring/v1\nkind: Network\nmetadata: { name: ${net} }\nspec: {}\n`, ...members.map(listener), link(1, 2), link(2, 3), link(3, 1)].join('');
}

const LINK_CHECKS = ['link/container1-to-container2:9000', 'link/container2-to-container1:9000', 'link/ring-1-2:9000', 'link/ring-2-3:9000', 'link/ring-3-1:9000'];

async function inspect(name: string): Promise<{ id: string; running: boolean; address: string } | undefined> {
  const text = await dockerMaybe('container', 'inspect', '--format', '{{.Id}} {{.State.Running}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
  if (text === undefined) return undefined;
  const [id = '', running, address = ''] = text.split(' ');
  return { id, running: running === 'true', address };
}

describe('network-scoped links both ways, end to end', function () {
  const instance = `e2e-${RUN_ID}-two-way`;
  const pair = { container1: uniqueName('container1'), container2: uniqueName('container2'), 'two-way-net': uniqueName('two-way-net') };
  const ringNet = uniqueName('ring-net');
  const members = [uniqueName('ring-1'), uniqueName('ring-2'), uniqueName('ring-3')] as const;
  let directory: string;
  let manifests: string;
  let statusFile: string;
  let daemon: MooringProcess | undefined;

  const statusUntil = statusWaiter(() => statusFile, () => daemon);

  const links = (status: Status) => status.reachability.filter((check) => check.kind === 'link');
  /** Synced, every resource Healthy, and every link's last probe connected after `since`. */
  const allConnected = (since: number) => (status: Status) =>
    status.sync.state === 'Synced' &&
    status.resources.every((resource) => resource.health === 'Healthy') &&
    links(status).length === LINK_CHECKS.length &&
    links(status).every((check) => check.healthy === true && check.lastProbe?.reason === 'Connected' && Date.parse(check.lastProbe.at) > since);

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-two-way-'));
    manifests = join(directory, 'manifests');
    statusFile = join(directory, 'status.json');
    await mkdir(manifests);
    await writeFile(join(manifests, 'two-way-links.yaml'), await examplePair(pair));
    await writeFile(join(manifests, 'ring.yaml'), ring(ringNet, members));
  });

  after(async () => {
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('refuses a cycle of legacy links, spelled out', async () => {
    const cyclic = join(directory, 'legacy-cycle');
    await mkdir(cyclic);
    const container = (name: string) => `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${name} }\nspec: { image: ${TEST_IMAGE} }\n---\n`;
    const link = (from: string, to: string) => `apiVersion: mooring/v1\nkind: Link\nmetadata: { name: ${from}-${to} }\nspec: { from: ${from}, to: ${to} }\n`;
    await writeFile(join(cyclic, 'm.yaml'), `${container('a')}${container('b')}${link('a', 'b')}---\n${link('b', 'a')}`);
    const validated = await MooringProcess.run(['validate', cyclic]);
    assert.equal(validated.exit.code, 1);
    assert.match(validated.stderr, /Link\/a-b: spec\.to: dependency cycle: a → b → a \(a → b by Link\/a-b, b → a by Link\/b-a\); none of these containers can start first/);
  });

  it('validates and applies the two-way pair and the ring', async () => {
    const validated = await MooringProcess.run(['validate', manifests]);
    assert.equal(validated.exit.code, 0, validated.stderr);
    assert.match(validated.stdout, /valid \(2 files, 12 documents\)/);
    const applied = await MooringProcess.run(['apply', manifests, '--instance', instance]);
    assert.equal(applied.exit.code, 0, `${applied.stdout}${applied.stderr}`);
    for (const name of [pair.container1, pair.container2, ...members]) assert.equal((await inspect(name))?.running, true, name);
  });

  it('probes every link, both ways round the pair and the ring, and all are Healthy', async () => {
    daemon = new MooringProcess(['run', '-m', manifests, '--instance', instance, '--status', statusFile, '--probe-interval', '1s', '--resync', '10m', '--log-level', 'debug']);
    const status = await statusUntil('every link is Healthy and connected', allConnected(0));
    assert.deepEqual(links(status).map((check) => check.name).sort(), LINK_CHECKS);
    const route = (check: ReachabilityStatus) => `${check.from} -> ${check.to}`;
    assert.deepEqual(links(status).map(route).sort(), [
      `${pair.container1} -> ${pair.container2}`,
      `${pair.container2} -> ${pair.container1}`,
      `${members[0]} -> ${members[1]}`,
      `${members[1]} -> ${members[2]}`,
      `${members[2]} -> ${members[0]}`,
    ].sort());
  });

  it('a member of each recreated: every link is Healthy again in the next probe round, to the new containers', async () => {
    const removed = [pair.container1, members[1]];
    const before = new Map(await Promise.all(removed.map(async (name) => [name, (await inspect(name))?.id] as const)));
    await docker('rm', '-f', ...removed);
    const recreated = await eventually('the daemon recreated both', async () => {
      const now = await Promise.all(removed.map(inspect));
      return now.every((found, i) => found?.running && found.id !== before.get(removed[i]!)) ? now : undefined;
    });
    const since = Date.now();
    const status = await statusUntil('every link connects again after the recreation', allConnected(since));
    // The names of the recreated containers resolve to their new addresses, from the containers that were left alone.
    for (const [i, name] of removed.entries()) {
      const towards = links(status).find((check) => check.to === name);
      assert.deepEqual(towards?.lastProbe?.resolvedAddresses, [recreated[i]?.address], `${towards?.name ?? name}`);
    }
  });
});
