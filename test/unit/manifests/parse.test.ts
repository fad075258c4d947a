import assert from 'node:assert/strict';
import { parseManifest, MAX_ALIAS_COUNT } from '../../../src/manifests/parse.js';

const messages = (text: string, file = 'm.yaml') => parseManifest(file, text).errors.map((error) => error.message);

/** A document of `kind` named `name`, whose `spec:` is line 5; `specLines` follow from line 6, indented by two. */
const manifest = (kind: string, name: string, specLines: string) => `apiVersion: mooring/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${specLines}`;
/** A Container whose extra spec lines start at line 7. */
const container = (lines: string) => manifest('Container', 'web', `  image: mooring/busybox:latest\n${lines}`);
const network = (lines: string) => manifest('Network', 'front', lines || '  {}');
/** A Link, PortPublish or Probe whose extra spec lines start at line 8. */
const link = (lines: string) => manifest('Link', 'a-b', `  from: a\n  to: b\n${lines}`);
const publish = (lines: string) => manifest('PortPublish', 'web-http', `  container: web\n  containerPort: 80\n${lines}`);
const probe = (lines: string) => manifest('Probe', 'a-b', `  from: a\n  to: b\n${lines}`);

const NAME_RULE = 'expected a name of letters, digits, "_", "." and "-", starting with a letter or digit';

describe('parseManifest: schema rules', () => {
  const cases: { title: string; text: string; expected: string[] }[] = [
    // Container
    { title: 'unknown field, close to a known one', text: container('  imgae: x'), expected: ['m.yaml:7:3: Container/web: spec.imgae: unknown field `imgae`; did you mean `image`?'] },
    { title: 'unknown field, nothing close', text: container('  colour: red'), expected: ['m.yaml:7:3: Container/web: spec.colour: unknown field `colour`'] },
    {
      title: '`ports` on a Container, as with docker run -p',
      text: container('  ports: ["8080:80"]'),
      expected: ['m.yaml:7:3: Container/web: spec.ports: unknown field `ports`: publish ports with a PortPublish (`kind: PortPublish`, `spec: {container, containerPort, hostPort}`)'],
    },
    {
      title: '`subnet` on a Network, as with docker network create --subnet',
      text: network('  subnet: 10.0.0.0/24'),
      expected: ['m.yaml:6:3: Network/front: spec.subnet: unknown field `subnet`: set it under `ipam`: `ipam: {subnet: ...}`'],
    },
    { title: 'unknown field with a different case', text: container('  WorkingDir: /'), expected: ['m.yaml:7:3: Container/web: spec.WorkingDir: unknown field `WorkingDir`; did you mean `workingDir`?'] },
    { title: 'missing required field', text: manifest('Container', 'web', '  command: [sleep, "1"]'), expected: ['m.yaml:5:1: Container/web: spec.image: required field is missing (expected a string)'] },
    { title: 'command of the wrong type', text: container('  command: 5'), expected: ['m.yaml:7:3: Container/web: spec.command: expected a string or a list, got 5'] },
    {
      title: 'command line with an unclosed quote',
      text: container('  command: \'sleep "10\''),
      expected: ['m.yaml:7:3: Container/web: spec.command: expected a closing " in the command line, got "sleep \\"10"'],
    },
    { title: 'command line of blanks', text: container('  entrypoint: "  "'), expected: ['m.yaml:7:3: Container/web: spec.entrypoint: expected a command line with at least one word, got "  "'] },
    { title: 'empty command', text: container('  command: []'), expected: ['m.yaml:7:3: Container/web: spec.command: expected at least 1 item, got an empty list'] },
    {
      title: 'restartPolicy outside the enum',
      text: container('  restartPolicy: sometimes'),
      expected: ['m.yaml:7:3: Container/web: spec.restartPolicy: expected one of no, always, unless-stopped, on-failure, got "sometimes"'],
    },
    {
      title: 'pullPolicy in the wrong case',
      text: container('  pullPolicy: never'),
      expected: ['m.yaml:7:3: Container/web: spec.pullPolicy: expected one of IfNotPresent, Always, Never, got "never"; did you mean `Never`?'],
    },
    { title: 'state outside the enum', text: container('  state: paused'), expected: ['m.yaml:7:3: Container/web: spec.state: expected one of running, stopped, got "paused"'] },
    {
      title: 'networkMode that is not host, none or container:',
      text: container('  networkMode: bridge'),
      expected: ['m.yaml:7:3: Container/web: spec.networkMode: expected host, none or container:<name>, got "bridge"'],
    },
    {
      title: 'ipv4Address that is not an address',
      text: container('  networks:\n    - name: front\n      ipv4Address: 10.0.0.300'),
      expected: ['m.yaml:9:7: Container/web: spec.networks.0.ipv4Address: expected an IPv4 address, got "10.0.0.300"'],
    },
    {
      title: 'unknown field in a network attachment',
      text: container('  networks:\n    - name: front\n      alias: [www]'),
      expected: ['m.yaml:9:7: Container/web: spec.networks.0.alias: unknown field `alias`; did you mean `aliases`?'],
    },
    { title: 'network attachment without a name', text: container('  networks:\n    - aliases: [www]'), expected: ['m.yaml:8:7: Container/web: spec.networks.0.name: required field is missing (expected a string)'] },
    { title: 'network name that Docker refuses', text: container('  networks:\n    - name: -front'), expected: [`m.yaml:8:7: Container/web: spec.networks.0.name: ${NAME_RULE}, got "-front"`] },
    { title: 'expose with an unknown protocol', text: container('  expose: [80, "53/sctp"]'), expected: ['m.yaml:7:16: Container/web: spec.expose.1: expected a port such as 80, "80/tcp" or "53/udp", got "53/sctp"'] },
    { title: 'expose beyond the port range', text: container('  expose: [70000]'), expected: ['m.yaml:7:12: Container/web: spec.expose.0: expected a number <= 65535, got 70000'] },
    { title: 'expose as a string beyond the port range', text: container('  expose: ["99999", "0/udp"]'), expected: ['m.yaml:7:12: Container/web: spec.expose.0: expected a port from 1 to 65535, got "99999"', 'm.yaml:7:21: Container/web: spec.expose.1: expected a port from 1 to 65535, got "0/udp"'] },
    { title: 'expose of a fraction', text: container('  expose: [1.5]'), expected: ['m.yaml:7:12: Container/web: spec.expose.0: expected an integer or a string, got 1.5'] },
    { title: 'extraHosts without an address', text: container('  extraHosts: ["nohost"]'), expected: ['m.yaml:7:16: Container/web: spec.extraHosts.0: expected "name:ip", where ip may be host-gateway, got "nohost"'] },
    {
      title: 'env name with a space',
      text: container('  env:\n    "A B": x'),
      expected: ['m.yaml:8:5: Container/web: spec.env.A B: invalid key "A B": expected a variable name without "=" or spaces, got "A B"'],
    },
    { title: 'env value that is a list', text: container('  env:\n    A: [1]'), expected: ['m.yaml:8:5: Container/web: spec.env.A: expected a string, a number or true or false, got a list of 1'] },
    { title: 'env value left empty', text: container('  env:\n    A:'), expected: ['m.yaml:8:5: Container/web: spec.env.A: expected a string, a number or true or false, got null (an empty value)'] },
    { title: 'negative stopTimeout', text: container('  stopTimeout: -1'), expected: ['m.yaml:7:3: Container/web: spec.stopTimeout: expected a number >= 0, got -1'] },
    { title: 'fractional stopTimeout', text: container('  stopTimeout: 1.5'), expected: ['m.yaml:7:3: Container/web: spec.stopTimeout: expected an integer, got 1.5'] },
    {
      title: 'healthcheck interval that is no duration',
      text: container('  healthcheck:\n    test: [CMD, "true"]\n    interval: soon'),
      expected: ['m.yaml:9:5: Container/web: spec.healthcheck.interval: expected a duration such as "500ms", "10s" or "1m", got "soon"'],
    },
    { title: 'dependsOn that is not a list', text: container('  dependsOn: db'), expected: ['m.yaml:7:3: Container/web: spec.dependsOn: expected a list, got "db"'] },
    { title: 'dependsOn with a bad name', text: container('  dependsOn: ["-db"]'), expected: [`m.yaml:7:15: Container/web: spec.dependsOn.0: ${NAME_RULE}, got "-db"`] },
    { title: 'labels that are a list', text: container('  labels: [a]'), expected: ['m.yaml:7:3: Container/web: spec.labels: expected a mapping, got a list of 1'] },
    // Network
    { title: 'Network driver outside the enum', text: network('  driver: host'), expected: ['m.yaml:6:3: Network/front: spec.driver: expected one of bridge, overlay, macvlan, ipvlan, got "host"'] },
    { title: 'Network subnet without a prefix length', text: network('  ipam:\n    subnet: 10.0.0.0'), expected: ['m.yaml:7:5: Network/front: spec.ipam.subnet: expected an IPv4 subnet such as 10.0.0.0/24, got "10.0.0.0"'] },
    { title: 'Network gateway that is no address', text: network('  ipam:\n    gateway: gw'), expected: ['m.yaml:7:5: Network/front: spec.ipam.gateway: expected an IPv4 address, got "gw"'] },
    { title: 'Network flag that is a string', text: network('  internal: "yes"'), expected: ['m.yaml:6:3: Network/front: spec.internal: expected true or false, got "yes"'] },
    { title: 'Network field misspelt', text: network('  externl: true'), expected: ['m.yaml:6:3: Network/front: spec.externl: unknown field `externl`; did you mean `external`?'] },
    { title: 'Network option value that is a number', text: network('  options:\n    mtu: 1400'), expected: ['m.yaml:7:5: Network/front: spec.options.mtu: expected a string, got 1400'] },
    // Link
    { title: 'Link without `to`', text: manifest('Link', 'a-b', '  from: a'), expected: ['m.yaml:5:1: Link/a-b: spec.to: required field is missing (expected a string)'] },
    { title: 'Link port 0', text: link('  ports: [0]'), expected: ['m.yaml:8:11: Link/a-b: spec.ports.0: expected a number >= 1, got 0'] },
    { title: 'Link with an empty alias', text: link('  alias: ""'), expected: ['m.yaml:8:3: Link/a-b: spec.alias: expected a non-empty string, got ""'] },
    // PortPublish
    { title: 'PortPublish protocol outside the enum', text: publish('  protocol: sctp'), expected: ['m.yaml:8:3: PortPublish/web-http: spec.protocol: expected one of tcp, udp, got "sctp"'] },
    { title: 'PortPublish hostPort as a string', text: publish('  hostPort: "8080"'), expected: ['m.yaml:8:3: PortPublish/web-http: spec.hostPort: expected a number, got "8080"'] },
    {
      title: 'PortPublish hostIp that is a name',
      text: publish('  hostIp: localhost'),
      expected: ['m.yaml:8:3: PortPublish/web-http: spec.hostIp: expected an IPv4 address or an IPv6 address, got "localhost"'],
    },
    // Probe
    { title: 'Probe without ports', text: probe(''), expected: ['m.yaml:5:1: Probe/a-b: spec.ports: required field is missing (expected a list)'] },
    { title: 'Probe expect outside the enum', text: probe('  ports: [1]\n  expect: maybe'), expected: ['m.yaml:9:3: Probe/a-b: spec.expect: expected one of reachable, unreachable, got "maybe"'] },
    { title: 'Probe negative interval', text: probe('  ports: [1]\n  interval: -5'), expected: ['m.yaml:9:3: Probe/a-b: spec.interval: expected a number > 0, got -5'] },
    { title: 'Probe interval 0', text: probe('  ports: [1]\n  interval: 0'), expected: ['m.yaml:9:3: Probe/a-b: spec.interval: expected a number > 0, got 0'] },
    { title: 'Probe timeout "0ms"', text: probe('  ports: [1]\n  timeout: 0ms'), expected: ['m.yaml:9:3: Probe/a-b: spec.timeout: expected a duration longer than 0, got "0ms"'] },
    { title: 'Probe failureThreshold 0', text: probe('  ports: [1]\n  failureThreshold: 0'), expected: ['m.yaml:9:3: Probe/a-b: spec.failureThreshold: expected a number >= 1, got 0'] },
    // The document itself
    {
      title: 'wrong apiVersion',
      text: network('').replace('mooring/v1', 'mooring/v2'),
      expected: ['m.yaml:1:1: Network/front: apiVersion: expected "mooring/v1", got "mooring/v2"'],
    },
    {
      title: 'unknown kind, close to a known one',
      text: network('').replace('kind: Network', 'kind: Netwrok'),
      expected: ['m.yaml:2:1: Netwrok/front: kind: expected one of Network, Container, Link, PortPublish, Probe, Volume, Secret, got "Netwrok"; did you mean `Network`?'],
    },
    {
      title: 'no kind and no apiVersion',
      text: 'metadata: { name: x }\nspec: {}\n',
      expected: [
        'm.yaml:1:1: kind: required field is missing (expected one of Network, Container, Link, PortPublish, Probe, Volume, Secret)',
        'm.yaml:1:1: apiVersion: expected "mooring/v1", got nothing',
      ],
    },
    { title: 'no metadata', text: 'apiVersion: mooring/v1\nkind: Network\nspec: {}\n', expected: ['m.yaml:1:1: Network: metadata: required field is missing (expected a mapping)'] },
    { title: 'name Docker refuses', text: manifest('Network', 'bad name', '  {}'), expected: [`m.yaml:4:3: Network/bad name: metadata.name: ${NAME_RULE}, got "bad name"`] },
    { title: 'misspelt top-level field', text: network('').replace('spec:', 'specs:'), expected: ['m.yaml:1:1: Network/front: spec: required field is missing (expected a mapping)', 'm.yaml:5:1: Network/front: specs: unknown field `specs`; did you mean `spec`?'] },
    { title: 'a document that is a list', text: '- a\n- b\n', expected: ['m.yaml:1:1: expected a mapping with apiVersion, kind, metadata and spec, got a list of 2'] },
    { title: 'a document that is a scalar', text: 'hello\n', expected: ['m.yaml:1:1: expected a mapping with apiVersion, kind, metadata and spec, got "hello"'] },
    { title: 'duplicate keys', text: network('  internal: true\n  internal: false'), expected: ['m.yaml:7:3: duplicate key: a key may appear only once in a mapping'] },
    { title: 'broken YAML', text: 'apiVersion: "mooring/v1\n', expected: ['m.yaml:2:1: invalid YAML: Missing closing "quote'] },
    { title: 'an alias to no anchor', text: network('  labels: *nothing'), expected: ['m.yaml:1:1: invalid YAML: Unresolved alias (the anchor must be set before the alias): nothing'] },
  ];

  for (const { title, text, expected } of cases) {
    it(title, () => assert.deepEqual(messages(text), expected));
  }

  it('reports every problem of a document at once, in order of the fields', () => {
    assert.deepEqual(messages(container('  command: 5\n  state: paused\n  colour: red')), [
      'm.yaml:7:3: Container/web: spec.command: expected a string or a list, got 5',
      'm.yaml:8:3: Container/web: spec.state: expected one of running, stopped, got "paused"',
      'm.yaml:9:3: Container/web: spec.colour: unknown field `colour`',
    ]);
  });

  it('reports an unknown field named like an object method (`toString`) rather than throw', () => {
    assert.deepEqual(messages(container('  toString: []')), ['m.yaml:7:3: Container/web: spec.toString: unknown field `toString`']);
  });
});

describe('parseManifest: documents', () => {
  it('accepts empty files, comments only and empty documents', () => {
    for (const text of ['', '\n\n', '# nothing yet\n', '---\n', '---\n---\n', '~\n']) {
      assert.deepEqual(parseManifest('e.yaml', text), { documents: [], errors: [], invalid: [], failed: 0 }, JSON.stringify(text));
    }
  });

  it('keeps the valid documents of a file beside the errors of the others', () => {
    const result = parseManifest('m.yaml', `${network('')}\n---\n${container('  state: paused')}\n---\n${link('')}`);
    assert.deepEqual(result.documents.map((document) => `${document.kind}/${document.name}`), ['Network/front', 'Link/a-b']);
    assert.deepEqual(result.errors.map((error) => error.message), ['m.yaml:14:3: Container/web: spec.state: expected one of running, stopped, got "paused"']);
  });

  it('keeps what the rules across documents need of a document that fails the schema: its kind and name, and its valid fields', () => {
    const text = [container('  ports: [80]\n  networks: [{ name: front }]'), manifest('Container', 'db', '  image: 5'), manifest('Container', 'Bad Name', '  image: x\n  colour: red')].join('\n---\n');
    const { documents, invalid } = parseManifest('m.yaml', text);
    assert.deepEqual(documents, []);
    assert.deepEqual(invalid.map(({ kind, name, source, salvaged }) => ({ kind, name, line: source.line, salvaged: salvaged?.spec })), [
      // `ports` is unknown, so the rest is checked as it is.
      { kind: 'Container', name: 'web', line: 1, salvaged: { ...parseManifest('x.yaml', container('  networks: [{ name: front }]')).documents[0]?.spec } },
      // A required field is wrong: only the name counts.
      { kind: 'Container', name: 'db', line: 10, salvaged: undefined },
    ]);
  });

  it('fills in schema defaults, and the document and its fields know where they stand', () => {
    const text = `# a comment\n${container('  networks:\n    - name: front\n      aliases: [www, web2]')}\n`;
    const [document] = parseManifest('dir/app.yaml', text).documents;
    assert.ok(document?.kind === 'Container');
    assert.equal(document.spec.restartPolicy, 'unless-stopped');
    assert.equal(document.spec.state, 'running');
    assert.deepEqual(document.labels, {});
    assert.deepEqual(document.source, { file: 'dir/app.yaml', line: 2, column: 1 });
    assert.deepEqual(document.positionOf(['spec', 'networks', 0, 'aliases', 1]), { file: 'dir/app.yaml', line: 10, column: 22 });
    assert.deepEqual(document.positionOf(['metadata', 'name']), { file: 'dir/app.yaml', line: 5, column: 3 });
    // A field that is not in the file stands at its nearest parent that is.
    assert.deepEqual(document.positionOf(['spec', 'dependsOn', 0]), { file: 'dir/app.yaml', line: 6, column: 1 });
  });

  it('reads JSON files', () => {
    const text = '{\n  "apiVersion": "mooring/v1",\n  "kind": "Network",\n  "metadata": { "name": "front" },\n  "spec": { "internal": "no" }\n}\n';
    assert.deepEqual(messages(text, 'n.json'), ['n.json:5:13: Network/front: spec.internal: expected true or false, got "no"']);
  });

  it('shares settings through anchors and merge keys, and locates merged fields at the anchor', () => {
    const text = container(['  networks:', '    - &front { name: front, aliases: [www] }', '    - <<: *front', '      name: back'].join('\n'));
    const result = parseManifest('m.yaml', text);
    assert.deepEqual(result.errors, []);
    const [web] = result.documents;
    assert.ok(web?.kind === 'Container');
    assert.deepEqual(web.spec.networks, [
      { name: 'front', aliases: ['www'] },
      { name: 'back', aliases: ['www'] },
    ]);
    assert.deepEqual(web.positionOf(['spec', 'networks', 1, 'aliases']), { file: 'm.yaml', line: 8, column: 29 });
    assert.deepEqual(web.positionOf(['spec', 'networks', 1, 'name']), { file: 'm.yaml', line: 10, column: 7 });
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (const name of 'bcdefghi') {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    assert.deepEqual(messages(levels.join('\n')), [`m.yaml:1:1: too many alias expansions (more than ${MAX_ALIAS_COUNT}): the document would grow without bound`]);
  });

  it('survives nesting deeper than any manifest', () => {
    // How far the parser gets before its stack runs out depends on the stack left to it, so only the shape of the errors is fixed.
    const errors = messages(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assert.ok(errors.length > 0);
    for (const error of errors) assert.match(error, /^m\.yaml:1:\d+: invalid YAML: /);
  });
});
