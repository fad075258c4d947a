import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseManifest } from '../../../src/manifests/parse.js';
import { validateManifestSet } from '../../../src/manifests/validate.js';
import { scopeLoaded, scopeToNode } from '../../../src/manifests/node-scope.js';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';
import { checksFor } from '../../../src/probes/checks.js';
import { container, desiredState, document, link, network } from '../reconcile/fixtures.js';
import { directoryPerTest } from '../../support/temp-directory.js';

const doc = (kind: string, name: string, spec: string) => `{apiVersion: mooring/v1, kind: ${kind}, metadata: {name: ${name}}, spec: ${spec}}`;

/** The errors of one file of documents, as `path: message`. */
function errors(...documents: string[]): string[] {
  const parsed = parseManifest('fleet.yaml', documents.join('\n---\n'));
  assert.deepEqual(parsed.errors.map((error) => error.message), [], 'the fixture itself must match the schema');
  return validateManifestSet(parsed.documents).map((error) => `${error.path ?? ''}: ${error.detail}`);
}

describe('a fleet of nodes: validation', () => {
  const overlay = doc('Network', 'mesh', '{driver: overlay, attachable: true}');

  it('refuses an overlay network that is not attachable, and says why', () => {
    assert.deepEqual(errors(doc('Network', 'mesh', '{driver: overlay}')), [
      'spec.attachable: an overlay network needs `attachable: true`: mooring runs standalone containers, and those can join only an attachable overlay',
    ]);
  });

  it('refuses one name on two nodes: the overlay\u2019s DNS is shared', () => {
    const found = errors(doc('Container', 'web', '{image: x, node: a}'), doc('Container', 'web', '{image: x, node: b}'));
    assert.equal(found.length, 1);
    assert.match(found[0]!, /^metadata\.name: duplicate Container\/web: already declared at fleet\.yaml:1:\d+$/);
  });

  it('accepts a Link across nodes on an overlay, and refuses one on a bridge network', () => {
    const ends = [doc('Container', 'web', '{image: x, node: a, networks: [{name: mesh}, {name: local}]}'), doc('Container', 'db', '{image: x, node: b, networks: [{name: mesh}, {name: local}]}')];
    assert.deepEqual(errors(overlay, doc('Network', 'local', '{}'), ...ends, doc('Link', 'web-db', '{from: web, to: db, network: mesh}')), []);
    const bridged = errors(overlay, doc('Network', 'local', '{}'), ...ends, doc('Link', 'web-db', '{from: web, to: db, network: local}'));
    assert.deepEqual(bridged, ["spec.network: Container/db runs on node `b` and Container/web on `a`: a Link across nodes needs an overlay network (`local` is one host's own)"]);
  });

  it('refuses dependsOn and a shared network namespace across nodes, and `node` on a Probe from a container', () => {
    const found = errors(
      doc('Container', 'db', '{image: x, node: b}'),
      doc('Container', 'web', '{image: x, node: a, dependsOn: [db]}'),
      doc('Container', 'side', '{image: x, node: a, networkMode: "container:db"}'),
      doc('Probe', 'p', '{from: web, to: db, ports: [80], node: a}'),
    );
    assert.deepEqual(found.map((error) => error.slice(0, error.indexOf(':'))), ['spec.dependsOn.0', 'spec.networkMode', 'spec.node']);
  });

  it('accepts one host port published on two nodes', () => {
    const found = errors(
      doc('Container', 'web1', '{image: x, node: a}'),
      doc('Container', 'web2', '{image: x, node: b}'),
      doc('PortPublish', 'p1', '{container: web1, containerPort: 80, hostPort: 8080}'),
      doc('PortPublish', 'p2', '{container: web2, containerPort: 80, hostPort: 8080}'),
    );
    assert.deepEqual(found, []);
  });
});

describe('a fleet of nodes: one node\u2019s share', () => {
  const fleet = desiredState([
    network('mesh', { driver: 'overlay', attachable: true }),
    network('front'),
    network('back'),
    network('spare'),
    container('web', { node: 'a', networks: [{ name: 'mesh' }, { name: 'front' }] }),
    container('db', { node: 'b', networks: [{ name: 'mesh' }, { name: 'back' }], expose: [5432] }),
    container('tool'),
    link('web-db', { from: 'web', to: 'db', network: 'mesh' }),
    link('db-web', { from: 'db', to: 'web', network: 'mesh', ports: [80] }),
    document('Probe', 'from-a', { from: 'host', to: '127.0.0.1', ports: [22], node: 'a' }),
    document('Probe', 'from-any', { from: 'host', to: '127.0.0.1', ports: [22] }),
  ]);
  const names = (documents: { name: string }[] | undefined) => (documents ?? []).map((entry) => entry.name);

  it('with --node: only what names this node, overlays always, and bridges where a local container joins them', () => {
    const scoped = scopeToNode(fleet, { node: 'a', explicit: true });
    assert.deepEqual(names(scoped.containers), ['web']);
    assert.deepEqual(names(scoped.remote), ['db', 'tool']);
    assert.deepEqual(names(scoped.networks), ['mesh', 'front']);
    assert.deepEqual(names(scoped.links), ['web-db']);
    assert.deepEqual(names(scoped.probes), ['from-a']);
  });

  it('without --node: also what names no node, and networks no container joins', () => {
    const scoped = scopeToNode(fleet, { node: 'a', explicit: false });
    assert.deepEqual(names(scoped.containers), ['web', 'tool']);
    assert.deepEqual(names(scoped.networks), ['mesh', 'front', 'spare']);
    assert.deepEqual(names(scoped.probes), ['from-a', 'from-any']);
  });

  it('checks a Link to another node\u2019s container by name, on the ports it exposes, without looking for it in this engine', () => {
    const checks = checksFor(scopeToNode(fleet, { node: 'a', explicit: true }));
    const web = checks.filter((check) => check.resource === 'Link/web-db');
    assert.deepEqual(web.map((check) => [check.name, check.from, check.to, check.targetContainer]), [['link/web-db:5432', 'web', 'db', undefined]]);
  });
});

describe('a fleet of nodes: the inputs of one node\u2019s share', () => {
  const dir = directoryPerTest('mooring-node-inputs-');

  it('reports a missing secret file or env file on the node whose containers read it, not on the others', async () => {
    await writeFile(path.join(dir(), 'fleet.yaml'), [
      doc('Secret', 'db-pw', '{file: /nonexistent/mooring-test/db-pw.txt}'),
      doc('Container', 'db', '{image: mooring/busybox:latest, node: b, secrets: [db-pw], envFiles: [db.env]}'),
      doc('Container', 'web', '{image: mooring/busybox:latest, node: a}'),
    ].join('\n---\n'));
    const loaded = await loadDesiredState({ directory: dir(), env: {} });
    const errors = (node: string) => scopeLoaded(loaded, { node, explicit: true }).files.flatMap((file) => file.errors.map((error) => `${error.resource ?? ''} ${error.path ?? ''}`));
    assert.deepEqual(errors('b'), ['Secret/db-pw spec.file', 'Container/db spec.envFiles.0']);
    assert.deepEqual(errors('a'), []);
  });
});
