import assert from 'node:assert/strict';
import type { ComposeProject } from '../../../../src/manifests/compose/project.js';
import { translateComposeProject } from '../../../../src/manifests/compose/project.js';
import { SERVICE_ATTRIBUTES } from '../../../../src/manifests/compose/attributes.js';
import { hasContainerField } from '../../../../src/manifests/compose/schema-fields.js';

function translate(text: string, options: { override?: string; dotenv?: string; env?: Record<string, string>; directory?: string; profiles?: string[] } = {}): ComposeProject {
  return translateComposeProject({
    ...(options.profiles === undefined ? {} : { profiles: options.profiles }),
    files: [{ file: 'shop/compose.yaml', text }, ...(options.override === undefined ? [] : [{ file: 'shop/compose.override.yaml', text: options.override }])],
    ...(options.dotenv === undefined ? {} : { dotenv: { file: 'shop/.env', text: options.dotenv } }),
    directory: options.directory ?? '/srv/manifests/shop',
    environment: (name) => options.env?.[name],
  });
}

const byName = (project: ComposeProject) => Object.fromEntries(project.documents.map((document) => [`${document.kind}/${document.name}`, document.spec]));
const messages = (project: ComposeProject) => project.errors.map((error) => error.message);

describe('Compose project translation', () => {
  it('names containers and networks as Compose does, the service name an alias on every network', () => {
    const project = translate(`
services:
  web:
    image: mooring/busybox:latest
    networks: [front, back]
  db:
    image: mooring/busybox:latest
    container_name: database
    networks:
      back:
        aliases: [postgres]
        ipv4_address: 172.30.0.10
  cache:
    image: mooring/busybox:latest
networks:
  front: {}
  back:
    ipam: { config: [{ subnet: 172.30.0.0/24 }] }
  outside:
    external: true
`);
    assert.deepEqual(messages(project), []);
    assert.equal(project.project, 'shop');
    const documents = byName(project);
    assert.deepEqual(Object.keys(documents).sort(), ['Container/database', 'Container/shop-cache-1', 'Container/shop-web-1', 'Network/shop_back', 'Network/shop_default', 'Network/shop_front']);
    assert.deepEqual((documents['Container/shop-web-1'] as { networks: unknown }).networks, [{ name: 'shop_back', aliases: ['web'] }, { name: 'shop_front', aliases: ['web'] }]);
    assert.deepEqual((documents['Container/database'] as { networks: unknown }).networks, [{ name: 'shop_back', aliases: ['db', 'postgres'], ipv4Address: '172.30.0.10' }]);
    assert.deepEqual((documents['Container/shop-cache-1'] as { networks: unknown }).networks, [{ name: 'shop_default', aliases: ['cache'] }]);
    assert.deepEqual((documents['Network/shop_back'] as { ipam: unknown }).ipam, { subnet: '172.30.0.0/24' });
  });

  it('takes the project name from `name:`, and network names from `name:` and external networks', () => {
    const project = translate(`
name: store
services:
  web: { image: mooring/busybox:latest, networks: [a, b] }
networks:
  a: { name: custom-a }
  b: { external: true }
`);
    assert.deepEqual(messages(project), []);
    assert.deepEqual(Object.keys(byName(project)).sort(), ['Container/store-web-1', 'Network/b', 'Network/custom-a']);
    assert.equal((byName(project)['Network/b'] as { external: boolean }).external, true);
  });

  it('translates the attributes mooring has, with Compose defaults', () => {
    const project = translate(`
services:
  web:
    image: mooring/busybox:latest
    command: httpd -f -p "8080"
    entrypoint: [/bin/sh, -c]
    environment: [A=1, B, C]
    working_dir: /srv
    user: "1000"
    hostname: web
    labels: [tier=front]
    restart: unless-stopped
    expose: [9000, "53/udp", "7000-7001"]
    extra_hosts: ["db:10.0.0.5", "host.docker.internal:host-gateway"]
    healthcheck: { test: [CMD, "true"], interval: 1m30s, timeout: 5s, retries: 2, start_period: 500ms }
    stop_grace_period: 1m
    pull_policy: never
  quiet:
    image: mooring/busybox:latest
    healthcheck: { disable: true }
`, { env: { B: 'from-env' } });
    assert.deepEqual(messages(project), []);
    const web = byName(project)['Container/shop-web-1'] as Record<string, unknown>;
    assert.deepEqual(
      { command: web.command, entrypoint: web.entrypoint, env: web.env, workingDir: web.workingDir, user: web.user, hostname: web.hostname, labels: web.labels, restartPolicy: web.restartPolicy, expose: web.expose, extraHosts: web.extraHosts, healthcheck: web.healthcheck, stopTimeout: web.stopTimeout, pullPolicy: web.pullPolicy },
      {
        command: 'httpd -f -p "8080"',
        entrypoint: ['/bin/sh', '-c'],
        env: { A: '1', B: 'from-env' },
        workingDir: '/srv',
        user: '1000',
        hostname: 'web',
        labels: { tier: 'front' },
        restartPolicy: 'unless-stopped',
        expose: ['9000', '53/udp', '7000', '7001'],
        extraHosts: ['db:10.0.0.5', 'host.docker.internal:host-gateway'],
        healthcheck: { test: ['CMD', 'true'], interval: '90s', timeout: '5s', retries: 2, startPeriod: '500ms' },
        stopTimeout: 60,
        pullPolicy: 'Never',
      },
    );
    const quiet = byName(project)['Container/shop-quiet-1'] as Record<string, unknown>;
    assert.deepEqual(quiet.healthcheck, { test: ['NONE'] });
    assert.equal(quiet.restartPolicy, 'no');
  });

  it('publishes ports in the short and long syntax, ranges, host IPs and udp', () => {
    const project = translate(`
services:
  web:
    image: mooring/busybox:latest
    ports:
      - 80
      - "8080:8080"
      - "127.0.0.1:9000-9001:9000-9001"
      - "127.0.0.1::7000"
      - "[::1]:5353:53/udp"
      - { target: 443, published: "8443", host_ip: 127.0.0.2, protocol: tcp }
`);
    assert.deepEqual(messages(project), []);
    const publishes = project.documents.filter((document) => document.kind === 'PortPublish').map((document) => [document.name, document.spec]);
    assert.deepEqual(publishes, [
      ['shop-web-1-80-tcp', { container: 'shop-web-1', containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0' }],
      ['shop-web-1-8080-tcp', { container: 'shop-web-1', containerPort: 8080, protocol: 'tcp', hostPort: 8080, hostIp: '0.0.0.0' }],
      ['shop-web-1-9000-tcp', { container: 'shop-web-1', containerPort: 9000, protocol: 'tcp', hostPort: 9000, hostIp: '127.0.0.1' }],
      ['shop-web-1-9001-tcp', { container: 'shop-web-1', containerPort: 9001, protocol: 'tcp', hostPort: 9001, hostIp: '127.0.0.1' }],
      ['shop-web-1-7000-tcp', { container: 'shop-web-1', containerPort: 7000, protocol: 'tcp', hostIp: '127.0.0.1' }],
      ['shop-web-1-53-udp', { container: 'shop-web-1', containerPort: 53, protocol: 'udp', hostPort: 5353, hostIp: '::1' }],
      ['shop-web-1-443-tcp', { container: 'shop-web-1', containerPort: 443, protocol: 'tcp', hostPort: 8443, hostIp: '127.0.0.2' }],
    ]);
  });

  it('makes links Links on a shared network, depends_on dependsOn, and each depends_on edge a check by service name', () => {
    const project = translate(`
services:
  web:
    image: mooring/busybox:latest
    links: ["api:backend"]
    depends_on: [db, cache, api]
  api: { image: mooring/busybox:latest, expose: [8080] }
  db: { image: mooring/busybox:latest, expose: [5432], ports: ["15432:5432"] }
  cache: { image: mooring/busybox:latest }
  solo:
    image: mooring/busybox:latest
    depends_on: [db]
    x-mooring: { checks: false }
`);
    assert.deepEqual(messages(project), []);
    const documents = byName(project);
    assert.deepEqual(documents['Link/shop-web-1-backend'], { from: 'shop-web-1', to: 'shop-api-1', alias: 'backend', network: 'shop_default' });
    assert.deepEqual((documents['Container/shop-web-1'] as { dependsOn: string[] }).dependsOn, ['shop-api-1', 'shop-cache-1', 'shop-db-1']);
    assert.deepEqual(documents['Probe/shop-web-1-to-db'], { from: 'shop-web-1', to: 'db', ports: [5432], expect: 'reachable' });
    assert.deepEqual(documents['Probe/shop-web-1-to-cache'], { from: 'shop-web-1', to: 'cache', ports: [], expect: 'reachable' });
    // The link to api is checked as a Link already; solo switched its checks off.
    assert.equal(documents['Probe/shop-web-1-to-api'], undefined);
    assert.equal(documents['Probe/shop-solo-1-to-db'], undefined);
    assert.deepEqual((documents['Container/shop-solo-1'] as { dependsOn: string[] }).dependsOn, ['shop-db-1']);
  });

  it('adds the Probes of x-mooring, by service names', () => {
    const project = translate(`
x-mooring:
  checks: false
  probes:
    - { from: web, to: { service: db, network: back }, ports: [5432], expect: unreachable }
services:
  web:
    image: mooring/busybox:latest
    depends_on: [db]
    x-mooring:
      probes: [{ name: web-sees-db, to: db, ports: [5432], interval: 5s }]
  db: { image: mooring/busybox:latest, networks: [back] }
networks: { back: {} }
`);
    assert.deepEqual(messages(project), []);
    const documents = byName(project);
    assert.deepEqual(documents['Probe/web-sees-db'], { from: 'shop-web-1', to: 'db', ports: [5432], interval: '5s', expect: 'reachable' });
    assert.deepEqual(documents['Probe/shop-web-to-shop-db-1'], { from: 'shop-web-1', to: { container: 'shop-db-1', network: 'shop_back' }, ports: [5432], expect: 'unreachable' });
    assert.equal(documents['Probe/shop-web-1-to-db'], undefined);
  });

  it('interpolates from the environment, then .env, per file before the override merges', () => {
    const project = translate(
      'services:\n  web:\n    image: ${IMAGE}\n    environment: { MODE: "${MODE:-dev}", PORT: "${PORT}" }\n',
      { dotenv: 'IMAGE=mooring/busybox:latest\nMODE=from-dotenv\nPORT=1\n', env: { PORT: '2' }, override: 'services:\n  web:\n    labels: { port: "${PORT}" }\n' },
    );
    assert.deepEqual(messages(project), []);
    const web = byName(project)['Container/shop-web-1'] as Record<string, unknown>;
    assert.deepEqual([web.image, web.env, web.labels], ['mooring/busybox:latest', { MODE: 'from-dotenv', PORT: '2' }, { port: '2' }]);
  });

  describe('profiles', () => {
    const text = `services:
  web:
    image: mooring/busybox:latest
  debug:
    image: mooring/busybox:latest
    profiles: [debug, tools]
  metrics:
    image: mooring/busybox:latest
    profiles: [metrics]
`;
    const running = (project: ComposeProject) => {
      assert.deepEqual(messages(project), []);
      return Object.keys(byName(project)).filter((key) => key.startsWith('Container/')).sort();
    };

    it('runs a service without profiles always, and one with profiles only when one of them is active', () => {
      assert.deepEqual(running(translate(text)), ['Container/shop-web-1']);
      assert.deepEqual(running(translate(text, { profiles: ['tools'] })), ['Container/shop-debug-1', 'Container/shop-web-1']);
      assert.deepEqual(running(translate(text, { profiles: ['tools', 'metrics'] })), ['Container/shop-debug-1', 'Container/shop-metrics-1', 'Container/shop-web-1']);
      assert.deepEqual(running(translate(text, { profiles: ['*'] })), ['Container/shop-debug-1', 'Container/shop-metrics-1', 'Container/shop-web-1']);
      assert.deepEqual(running(translate(text, { profiles: ['other'] })), ['Container/shop-web-1']);
    });

    it('reads COMPOSE_PROFILES from the environment or .env when no --profile is given', () => {
      assert.deepEqual(running(translate(text, { env: { COMPOSE_PROFILES: 'debug, metrics' } })), ['Container/shop-debug-1', 'Container/shop-metrics-1', 'Container/shop-web-1']);
      assert.deepEqual(running(translate(text, { dotenv: 'COMPOSE_PROFILES=metrics' })), ['Container/shop-metrics-1', 'Container/shop-web-1']);
    });

    it('lets --profile replace COMPOSE_PROFILES rather than add to it, as Compose does', () => {
      assert.deepEqual(running(translate(text, { env: { COMPOSE_PROFILES: 'metrics' }, profiles: ['debug'] })), ['Container/shop-debug-1', 'Container/shop-web-1']);
      assert.deepEqual(running(translate(text, { dotenv: 'COMPOSE_PROFILES=metrics', profiles: ['debug'] })), ['Container/shop-debug-1', 'Container/shop-web-1']);
    });

    it('reports a dependency on a service whose profiles are inactive at its place, with the profile that would enable it', () => {
      const project = translate(`services:
  web:
    image: mooring/busybox:latest
    depends_on: [db]
    links: [db]
  db:
    image: mooring/busybox:latest
    profiles: [data, full]
  sidecar:
    image: mooring/busybox:latest
    network_mode: service:db
`);
      const why = 'service "db" does not run: its profiles (data, full) are not active (none is active); --profile data or --profile full would enable it';
      assert.deepEqual(messages(project), [
        `shop/compose.yaml:11:5: service sidecar: network_mode: ${why}`,
        `shop/compose.yaml:5:13: service web: links[0]: ${why}`,
        `shop/compose.yaml:4:18: service web: depends_on[0]: ${why}`,
      ]);
      const dependent = 'services:\n  web:\n    image: mooring/busybox:latest\n    depends_on: [db]\n  db:\n    image: mooring/busybox:latest\n    profiles: [data]\n';
      assert.deepEqual(messages(translate(dependent, { profiles: ['full'] })), [
        'shop/compose.yaml:4:18: service web: depends_on[0]: service "db" does not run: its profiles (data) are not active (active: full); --profile data would enable it',
      ]);
      assert.deepEqual(running(translate(dependent, { profiles: ['data'] })), ['Container/shop-db-1', 'Container/shop-web-1']);
    });

    it('refuses profiles that are not a list of names', () => {
      const project = translate('services:\n  web:\n    image: mooring/busybox:latest\n    profiles: debug\n');
      assert.deepEqual(messages(project), ['shop/compose.yaml:4:5: service web: profiles: expected a list, got "debug"']);
    });
  });

  it('reports every problem at FILE:LINE:COL with the service and the attribute', () => {
    const project = translate(
      `services:
  web:
    image: mooring/busybox:latest
    ports:
      - "8080:80"
      - "eighty"
    restart: sometimes
    imagee: x
    environment:
      PORT: \${PORT:?PORT must be set}
    depends_on: [ghost]
    external_links: [other]
    deploy: { replicas: 3 }
    healthcheck: { test: [CMD, x], interval: soon }
  db:
    image: mooring/busybox:latest
    network_mode: service:nowhere
include: [other.yaml]
`,
      { override: 'services:\n  web:\n    stop_grace_period: forever\n' },
    );
    assert.deepEqual(messages(project), [
      'shop/compose.yaml:10:7: service web: environment.PORT: required variable PORT is missing a value: PORT must be set',
      'shop/compose.yaml:18:1: include: `include` is not supported: mooring does not read `include` yet: merge the files, or give each its own directory',
      'shop/compose.yaml:6:9: service web: ports[1]: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], got "eighty"',
      'shop/compose.yaml:7:5: service web: restart: expected one of no, always, unless-stopped, on-failure, got "sometimes"',
      'shop/compose.yaml:8:5: service web: imagee: unknown attribute `imagee`; did you mean `image`?',
      'shop/compose.yaml:12:5: service web: external_links: `external_links` is not supported: a link to a container outside the project: declare a mooring Link, or reach it by name on a network both join',
      'shop/compose.yaml:13:15: service web: deploy.replicas: mooring runs one container per service: more replicas are not supported',
      'shop/compose.yaml:14:36: service web: healthcheck.interval: expected a duration such as "10s", "1m30s" or "500ms", got "soon"',
      'shop/compose.override.yaml:3:5: service web: stop_grace_period: expected a duration such as "10s", "1m30s" or "500ms", got "forever"',
      'shop/compose.yaml:17:5: service db: network_mode: no service "nowhere" is declared in this project',
      'shop/compose.yaml:11:18: service web: depends_on[0]: no service "ghost" is declared in this project',
    ]);
  });

  it('mounts configs from files, and reports a config it cannot mount once, where it is declared', () => {
    const project = translate(`services:
  web:
    image: mooring/busybox:latest
    configs: [nginx, remote, { source: nginx, target: /etc/nginx/nginx.conf }]
configs:
  nginx: { file: ./nginx.conf }
  remote: { external: true }
`);
    assert.deepEqual(messages(project), ['shop/compose.yaml:7:13: config remote: external: `external` is not supported by mooring yet: a config is mounted from a `file`']);
    const translated = translate('services:\n  web:\n    image: mooring/busybox:latest\n    configs: [nginx]\nconfigs:\n  nginx: { file: ./nginx.conf }\n');
    assert.deepEqual((byName(translated)['Container/shop-web-1'] as { mounts: unknown[] }).mounts, [
      { type: 'bind', source: '/srv/manifests/shop/nginx.conf', target: '/nginx', readOnly: true, createHostPath: false },
    ]);
  });

  it('builds a service from its context, named <project>-<service> without image, and refuses what mooring cannot build at its line', () => {
    const project = translate(`
services:
  api:
    build:
      context: ./api
      dockerfile: Containerfile
      args: [VERSION=2, TOKEN]
      target: prod
    pull_policy: build
  web:
    build: /srv/web
    image: shop/web:dev
  job:
    build:
      context: https://github.com/example/job.git
      cache_from: [shop/job:cache]
`, { env: { TOKEN: 't0k' } });
    const specs = byName(project) as Record<string, Record<string, unknown>>;
    assert.deepEqual(specs['Container/shop-api-1']?.build, { context: '/srv/manifests/shop/api', dockerfile: 'Containerfile', args: { VERSION: '2', TOKEN: 't0k' }, target: 'prod' });
    assert.equal(specs['Container/shop-api-1']?.image, 'shop-api');
    assert.equal(specs['Container/shop-api-1']?.pullPolicy, 'IfNotPresent');
    assert.deepEqual(specs['Container/shop-web-1']?.build, { context: '/srv/web', dockerfile: 'Dockerfile', args: {} });
    assert.equal(specs['Container/shop-web-1']?.image, 'shop/web:dev');
    assert.deepEqual(messages(project), [
      'shop/compose.yaml:16:7: service job: build.cache_from: `build.cache_from` is not supported: mooring builds with context, dockerfile, args and target (build the image yourself and give `image` for more)',
    ]);
    const remote = translate('services:\n  job:\n    build: { context: "git@github.com:example/job.git" }\n');
    assert.deepEqual(messages(remote), ['shop/compose.yaml:3:14: service job: build.context: expected a directory, got git@github.com:example/job.git: mooring builds from local directories only']);
  });

  it('says which mooring field an attribute waits for, until it lands', () => {
    const waiting = Object.entries(SERVICE_ATTRIBUTES).filter(([, row]) => 'needs' in row && !hasContainerField(row.needs));
    for (const [attribute, row] of waiting) {
      const project = translate(`services:\n  web:\n    image: mooring/busybox:latest\n    ${attribute}: ${attribute === 'deploy' ? '{}' : 'x'}\n`);
      assert.ok('needs' in row);
      assert.deepEqual(messages(project), [`shop/compose.yaml:4:5: service web: ${attribute}: mooring cannot represent \`${attribute}\` yet: it needs the Container field \`${row.needs}\` (${row.issue})`]);
    }
  });

  it('places documents in the project file, so the rules across files hold it back', () => {
    const project = translate('services:\n  web:\n    image: mooring/busybox:latest\n', { override: 'services:\n  web:\n    hostname: web\n  api:\n    image: mooring/busybox:latest\n' });
    assert.deepEqual(messages(project), []);
    for (const document of project.documents) assert.equal(document.source.file, 'shop/compose.yaml');
    const web = project.documents.find((document) => document.name === 'shop-web-1')!;
    assert.deepEqual(web.positionOf(['spec', 'image']), { file: 'shop/compose.yaml', line: 3, column: 5 });
  });
});
