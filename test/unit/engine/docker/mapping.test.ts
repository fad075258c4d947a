/** Engine API JSON to mooring's types and back, from JSON literals as Engine 20.10 (API 1.41) answers. */
import assert from 'node:assert/strict';
import type { ContainerInfo, ContainerInspectInfo, NetworkInspectInfo } from 'dockerode';
import { containerConfig } from '../../../../src/engine/container-config.js';
import {
  containerCreateBody,
  containerName,
  endpointDetails,
  engineEvent,
  inspectedContainer,
  joinedNetworks,
  listedContainer,
  networkCreateBody,
  networkMode,
  normalizeLink,
  observedEndpoint,
  observedNetwork,
} from '../../../../src/engine/docker/mapping.js';

const OWNER_ID = 'a'.repeat(64);
const ID = 'b'.repeat(64);

describe('engine mapping', () => {
  describe('networks', () => {
    it('maps a network, taking the first IPv4 pool and dropping what is empty', () => {
      const info = {
        Name: 'front',
        Id: 'n1',
        Driver: 'bridge',
        Internal: true,
        Attachable: false,
        EnableIPv6: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: 'fd00::/64' }, { Subnet: '10.1.0.0/24', Gateway: '10.1.0.1', IPRange: '' }] },
        Options: null,
        Labels: { team: 'a' },
      } as unknown as NetworkInspectInfo;
      assert.deepEqual(observedNetwork(info), {
        id: 'n1',
        name: 'front',
        driver: 'bridge',
        internal: true,
        attachable: false,
        enableIPv6: true,
        ipam: { subnet: '10.1.0.0/24', gateway: '10.1.0.1' },
        options: {},
        labels: { team: 'a' },
      });
      assert.equal(observedNetwork({ ...info, IPAM: { Driver: 'default', Config: [] } } as unknown as NetworkInspectInfo).ipam, undefined);
    });

    it('asks for a network once by name, with its IPAM only when given', () => {
      const config = { name: 'back', driver: 'bridge', internal: false, attachable: true, enableIPv6: false, options: {}, labels: { a: 'b' } };
      assert.deepEqual(networkCreateBody(config), {
        Name: 'back',
        CheckDuplicate: true,
        Driver: 'bridge',
        Internal: false,
        Attachable: true,
        EnableIPv6: false,
        Options: {},
        Labels: { a: 'b' },
      });
      assert.deepEqual(networkCreateBody({ ...config, ipam: { subnet: '10.2.0.0/24' } }).IPAM, { Driver: 'default', Config: [{ Subnet: '10.2.0.0/24' }] });
    });
  });

  describe('network modes and links', () => {
    it('calls the default bridge `bridge`, and a shared namespace by its owner’s name when known', () => {
      const names = new Map([[OWNER_ID, 'db']]);
      assert.equal(networkMode('default', names), 'bridge');
      assert.equal(networkMode('', names), 'bridge');
      assert.equal(networkMode(undefined, names), 'bridge');
      assert.equal(networkMode('host', names), 'host');
      assert.equal(networkMode('front', names), 'front');
      assert.equal(networkMode(`container:${OWNER_ID}`, names), 'container:db');
      assert.equal(networkMode(`container:${ID}`, names), `container:${ID}`, 'an owner that is gone keeps its id');
    });

    it('gives a container in host, none or another’s namespace no endpoints', () => {
      const networks = { front: { NetworkID: 'n1' } };
      assert.deepEqual(joinedNetworks('host', networks), []);
      assert.deepEqual(joinedNetworks('none', networks), []);
      assert.deepEqual(joinedNetworks('container:db', networks), []);
      assert.deepEqual(joinedNetworks('front', networks), [{ network: 'front', settings: { NetworkID: 'n1' } }]);
    });

    it('writes links as `target:alias`, whatever form the engine shows', () => {
      assert.equal(normalizeLink('/db:/web/database'), 'db:database');
      assert.equal(normalizeLink('db:database'), 'db:database');
    });

    it('takes a container’s own name, not the names legacy links add', () => {
      assert.equal(containerName(['/db/web-alias', '/web']), 'web');
      assert.equal(containerName(['/only']), 'only');
    });
  });

  describe('containers', () => {
    const listed = {
      Id: ID,
      Names: ['/web'],
      Image: 'mooring/busybox:latest',
      ImageID: 'sha256:1',
      Command: 'sleep 3600',
      Created: 1700000000,
      Ports: [
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
      ],
      Labels: { 'io.mooring.name': 'web' },
      State: 'running',
      Status: 'Up 1 second',
      HostConfig: { NetworkMode: 'front' },
      NetworkSettings: { Networks: { front: { NetworkID: 'n1', EndpointID: 'e1', IPAddress: '10.1.0.2', Aliases: null, Links: null } } },
      Mounts: [],
    } as unknown as ContainerInfo;

    const inspected = {
      Id: ID,
      Name: '/web',
      RestartCount: 2,
      State: { Status: 'exited', Pid: 0, ExitCode: 137, StartedAt: '2026-12-01T10:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', Health: { Status: 'unhealthy' } },
      Config: { Image: 'mooring/busybox:latest', Labels: null },
      HostConfig: { NetworkMode: 'front' },
      NetworkSettings: {
        Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': null },
        Networks: {
          front: { NetworkID: 'n1', EndpointID: '', IPAddress: '', IPAMConfig: { IPv4Address: '10.1.0.9' }, Aliases: ['web-a', ID.slice(0, 12)], Links: ['/db:/web/database'] },
        },
      },
    } as unknown as ContainerInspectInfo;

    it('maps a listed container with the endpoints given, binding only published ports', () => {
      const endpoints = [{ network: 'front', networkId: 'n1', endpointId: 'e1', ipv4Address: '10.1.0.2', aliases: ['web-a'], links: [] }];
      assert.deepEqual(listedContainer(listed, 'front', endpoints), {
        id: ID,
        name: 'web',
        image: 'mooring/busybox:latest',
        imageId: 'sha256:1',
        labels: { 'io.mooring.name': 'web' },
        status: 'running',
        networkMode: 'front',
        endpoints,
        portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }],
      });
    });

    it('maps an inspected container: times, exit code, health; the zero time is no time', () => {
      assert.deepEqual(inspectedContainer(inspected, 'front', []), {
        id: ID,
        name: 'web',
        image: 'mooring/busybox:latest',
        labels: {},
        status: 'exited',
        networkMode: 'front',
        endpoints: [],
        portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }],
        startedAt: Date.parse('2026-12-01T10:00:00Z'),
        exitCode: 137,
        restartCount: 2,
        pid: 0,
        health: 'unhealthy',
      });
    });

    it('drops the short id from the aliases, writes links as `target:alias`, and keeps the address asked for', () => {
      const [joined] = joinedNetworks('front', inspected.NetworkSettings.Networks);
      const details = endpointDetails(inspected, joined!.settings);
      assert.deepEqual(details, { aliases: ['web-a'], links: ['db:database'], containerId: ID, containerName: 'web' });
      assert.deepEqual(observedEndpoint(joined!, details), { network: 'front', networkId: 'n1', endpointId: '', ipv4Address: '10.1.0.9', aliases: ['web-a'], links: ['db:database'] });
    });

    it('asks for a container with its first endpoint, its ports exposed and bound (an empty host port for an ephemeral one)', () => {
      const config = containerConfig({
        name: 'web',
        image: 'mooring/busybox:latest',
        command: ['sleep', '1'],
        networkMode: 'front',
        endpoints: [
          { network: 'front', aliases: ['w'], links: ['db:database'], ipv4Address: '10.1.0.9' },
          { network: 'back', aliases: [], links: [] },
        ],
        exposedPorts: ['9090/tcp'],
        portBindings: [
          { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 },
          { containerPort: 80, protocol: 'tcp', hostIp: '::1' },
        ],
        healthcheck: { test: ['CMD', 'true'], intervalNs: 1e9 },
      });
      assert.deepEqual(containerCreateBody(config), {
        name: 'web',
        Image: 'mooring/busybox:latest',
        Cmd: ['sleep', '1'],
        Env: [],
        Labels: {},
        ExposedPorts: { '9090/tcp': {}, '80/tcp': {} },
        StopTimeout: 10,
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 },
        HostConfig: {
          NetworkMode: 'front',
          RestartPolicy: { Name: 'no' },
          PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostIp: '::1', HostPort: '' }] },
          ExtraHosts: [],
          Links: [],
        },
        NetworkingConfig: { EndpointsConfig: { front: { Aliases: ['w'], Links: ['db:database'], IPAMConfig: { IPv4Address: '10.1.0.9' } } } },
      });
    });
  });

  describe('events', () => {
    it('maps container actions to changes, with the labels and not the other attributes, to the millisecond', () => {
      const message = {
        Type: 'container',
        Action: 'die',
        Actor: { ID, Attributes: { name: 'web', image: 'busybox', exitCode: '137', 'io.mooring.name': 'web' } },
        time: 1700000000,
        timeNano: 1700000000123456000,
      };
      assert.deepEqual(engineEvent(message), { resource: 'container', change: 'died', id: ID, name: 'web', labels: { 'io.mooring.name': 'web' }, time: 1700000000123 });
      const changes = ['create', 'start', 'restart', 'kill', 'oom', 'stop', 'destroy', 'pause', 'unpause', 'rename', 'update'].map((Action) => engineEvent({ ...message, Action })?.change);
      assert.deepEqual(changes, ['created', 'started', 'restarted', 'killed', 'out-of-memory', 'stopped', 'destroyed', 'paused', 'unpaused', 'renamed', 'updated']);
    });

    it('maps network actions, with the container of a connect or disconnect and no labels', () => {
      const message = { Type: 'network', Action: 'disconnect', Actor: { ID: 'n1', Attributes: { name: 'front', type: 'bridge', container: ID } }, time: 1700000001 };
      assert.deepEqual(engineEvent(message), { resource: 'network', change: 'disconnected', id: 'n1', name: 'front', labels: {}, containerId: ID, time: 1700000001000 });
      const changes = ['create', 'connect', 'destroy', 'remove'].map((Action) => engineEvent({ ...message, Action })?.change);
      assert.deepEqual(changes, ['created', 'connected', 'destroyed', 'destroyed']);
    });

    it('maps every health status to one change: a dependent waiting for health may start', () => {
      for (const Action of ['health_status: healthy', 'health_status: unhealthy', 'health_status: starting']) {
        assert.equal(engineEvent({ Type: 'container', Action, Actor: { ID } })?.change, 'health-changed', Action);
      }
    });

    it('leaves out what is not a change of a container or network', () => {
      for (const message of [
        { Type: 'container', Action: 'exec_start: sh', Actor: { ID } },
        { Type: 'container', Action: 'toString', Actor: { ID } },
        { Type: 'image', Action: 'pull', Actor: { ID: 'img' } },
      ]) {
        assert.equal(engineEvent(message), undefined, message.Action);
      }
    });
  });
});
