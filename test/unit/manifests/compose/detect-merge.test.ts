import assert from 'node:assert/strict';
import { composeRoles, normalizeProjectName, projectName } from '../../../../src/manifests/compose/detect.js';
import { mergeCompose } from '../../../../src/manifests/compose/merge.js';
import { parseComposeYaml } from '../../../../src/manifests/compose/yaml-file.js';

describe('Compose detection', () => {
  it('reads the first of the names Compose looks for, with its override, and refuses the others', () => {
    const roles = composeRoles(['a/compose.yaml', 'a/docker-compose.yml', 'a/compose.override.yaml', 'b/docker-compose.yml', 'b/app.yaml', 'c/compose.override.yml', 'compose.yml']);
    assert.deepEqual(Object.fromEntries(roles), {
      'a/compose.yaml': { role: 'project', overrides: ['a/compose.override.yaml'] },
      'a/compose.override.yaml': { role: 'override', project: 'a/compose.yaml' },
      'a/docker-compose.yml': { role: 'ignored', reason: 'docker compose reads only compose.yaml in this directory: merge this file into it, or remove it' },
      'b/docker-compose.yml': { role: 'project', overrides: [] },
      'c/compose.override.yml': {
        role: 'ignored',
        reason: 'an override file without a Compose file beside it: expected one of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml in the same directory',
      },
      'compose.yml': { role: 'project', overrides: [] },
    });
  });

  for (const [directory, expected] of [
    ['My_App', 'my_app'],
    ['shop.example.com', 'shopexamplecom'],
    ['-_lead', 'lead'],
    ['Web App 2', 'webapp2'],
  ] as const) {
    it(`normalises the directory name ${directory} as Compose does: ${expected}`, () => assert.equal(normalizeProjectName(directory), expected));
  }

  it('takes `name:` as written, and refuses one Compose would refuse', () => {
    assert.deepEqual(projectName({ declared: 'shop', directory: '/x/Other' }), { name: 'shop' });
    assert.deepEqual(projectName({ declared: undefined, directory: '/x/Other' }), { name: 'other' });
    assert.match((projectName({ declared: 'Shop', directory: '/x' }) as { problem: string }).problem, /expected a project name of lower-case letters/);
    assert.match((projectName({ declared: undefined, directory: '/x/...' }) as { problem: string }).problem, /gives no project name/);
  });
});

describe('Compose merge', () => {
  const merge = (base: string, override: string) => {
    const [a, b] = [base, override].map((text, index) => {
      const parsed = parseComposeYaml(`f${index}.yaml`, text);
      assert.ok('yaml' in parsed);
      return parsed.yaml;
    });
    return mergeCompose(a!.value, b!.value, b!.tags).value;
  };

  it('merges mappings, appends sequences without repeating entries, and replaces scalars', () => {
    assert.deepEqual(merge('services: {a: {image: x, dns: [1.1.1.1], cap_add: [A]}}', 'services: {a: {image: y, dns: [8.8.8.8, 1.1.1.1]}, b: {image: z}}'), {
      services: { a: { image: 'y', dns: ['1.1.1.1', '8.8.8.8'], cap_add: ['A'] }, b: { image: 'z' } },
    });
  });

  it('replaces command, entrypoint and healthcheck.test', () => {
    assert.deepEqual(merge('services: {a: {command: [echo, foo], healthcheck: {test: [CMD, a], retries: 3}}}', 'services: {a: {command: [echo, bar], healthcheck: {test: [CMD, b]}}}'), {
      services: { a: { command: ['echo', 'bar'], healthcheck: { test: ['CMD', 'b'], retries: 3 } } },
    });
  });

  it('merges environment, labels and extra_hosts by key, whichever form each file uses', () => {
    assert.deepEqual(merge('services: {a: {environment: [A=1, B=2], labels: {x: "1"}, extra_hosts: ["h:1.1.1.1"]}}', 'services: {a: {environment: {B: 3, C: 4}, labels: [y=2], extra_hosts: {h: 2.2.2.2}}}'), {
      services: { a: { environment: { A: '1', B: 3, C: 4 }, labels: { x: '1', y: '2' }, extra_hosts: { h: '2.2.2.2' } } },
    });
  });

  it('merges ports by {ip, target, published, protocol} and volumes by target', () => {
    assert.deepEqual(merge('services: {a: {ports: ["8080:80", "443:443"], volumes: ["foo:/work", "./x:/x"]}}', 'services: {a: {ports: ["8080:80", "9090:90"], volumes: ["bar:/work"]}}'), {
      services: { a: { ports: ['8080:80', '443:443', '9090:90'], volumes: ['bar:/work', './x:/x'] } },
    });
  });

  it('merges networks and depends_on given as a list with the mapping form', () => {
    assert.deepEqual(merge('services: {a: {networks: [front], depends_on: [db]}}', 'services: {a: {networks: {back: {aliases: [x]}}, depends_on: {cache: {condition: service_started}}}}'), {
      services: { a: { networks: { front: null, back: { aliases: ['x'] } }, depends_on: { db: null, cache: { condition: 'service_started' } } } },
    });
  });

  it('honours !reset and !override, and replaces x- fields whole', () => {
    assert.deepEqual(merge('x-a: {p: 1, q: 2}\nservices: {a: {ports: ["80:80"], environment: {A: "1", B: "2"}, dns: [1.1.1.1]}}', 'x-a: {p: 3}\nservices: {a: {ports: !reset [], environment: {A: !reset null}, dns: !override [8.8.8.8]}}'), {
      'x-a': { p: 3 },
      services: { a: { environment: { B: '2' }, dns: ['8.8.8.8'] } },
    });
  });

  it('replaces logging when the driver changes, and merges its options when not', () => {
    assert.deepEqual(merge('services: {a: {logging: {driver: json-file, options: {max-size: 1m}}}, b: {logging: {driver: json-file, options: {max-size: 1m}}}}', 'services: {a: {logging: {driver: syslog}}, b: {logging: {options: {max-file: "3"}}}}'), {
      services: { a: { logging: { driver: 'syslog' } }, b: { logging: { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } } } },
    });
  });
});
