import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';

const EXAMPLES = fileURLToPath(new URL('../../../manifests/', import.meta.url));

describe('the example manifests', () => {
  it('are valid, file by file', async () => {
    const loaded = await loadDesiredState({ directory: EXAMPLES });
    assert.ok(loaded.files.length >= 3);
    for (const file of loaded.files) assert.deepEqual(file.errors.map((error) => error.message), [], file.file);
    assert.deepEqual(loaded.desired.unavailableFiles, []);
  });

  it("show the networking guides' scenarios, with their reachability checked", async () => {
    const { desired } = await loadDesiredState({ directory: EXAMPLES });
    const image = new Set(desired.containers.map((container) => `${container.spec.image} ${container.spec.pullPolicy}`));
    assert.deepEqual([...image], ['mooring/busybox:latest Never']);
    // A user-defined bridge network where containers reach each other by name, and by a network alias.
    const userNetworks = new Set(desired.networks.map((network) => network.name));
    const networkLinks = desired.links.filter((link) => link.spec.network !== undefined && userNetworks.has(link.spec.network));
    assert.ok(networkLinks.some((link) => (link.spec.ports ?? []).length > 0));
    // Two containers that reach each other both ways, each direction a Link with ports checked.
    assert.ok(networkLinks.some((link) => networkLinks.some((back) => back.spec.from === link.spec.to && back.spec.to === link.spec.from && (back.spec.ports ?? []).length > 0)));
    const aliases = desired.containers.flatMap((container) => (container.spec.networks ?? []).flatMap((network) => network.aliases));
    assert.ok(desired.probes.some((probe) => typeof probe.spec.to === 'string' && aliases.includes(probe.spec.to) && probe.spec.expect === 'reachable'));
    // A web server whose port the host reaches, on loopback only.
    assert.ok(desired.publishes.some((publish) => publish.spec.hostIp === '127.0.0.1' && publish.spec.hostPort !== undefined));
    // A legacy link on the default bridge, probed.
    assert.ok(desired.links.some((link) => link.spec.network === undefined && link.spec.alias !== undefined && (link.spec.ports ?? []).length > 0));
    // host-gateway to reach the host.
    assert.ok(desired.containers.some((container) => container.spec.extraHosts.includes('host.docker.internal:host-gateway')));
    // Isolation between two networks, asserted.
    assert.ok(desired.probes.some((probe) => probe.spec.expect === 'unreachable'));
  });
});
