/**
 * What every engine contract case shares: the engine under test with its hooks,
 * resources made with unique names and labels and removed after each case, and
 * the assertions on the engine's errors.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { ContainerConfig, Engine, NetworkConfig, ObservedContainer } from '../../src/engine/port.js';
import { EngineError } from '../../src/errors.js';
import { containerConfig } from '../../src/engine/container-config.js';
import { TEST_IMAGE, uniqueName } from '../support/docker.js';

/** Exit code of a process killed by SIGKILL. */
export const KILLED = 137;

export interface EngineUnderTest {
  engine: Engine;
  /** Kills the container's process with SIGKILL, as the OOM killer would: it exits with 137. */
  kill(name: string): Promise<void>;
  /** Freezes the container's processes, as `docker pause` does. */
  pause(name: string): Promise<void>;
}

export class Contract {
  #subject: EngineUnderTest | undefined;
  /** What the current case made, removed after it by name. */
  readonly #made = { containers: new Set<string>(), networks: new Set<string>() };

  use(subject: EngineUnderTest): void {
    this.#subject = subject;
  }

  get engine(): Engine {
    return this.#under.engine;
  }

  get #under(): EngineUnderTest {
    assert.ok(this.#subject, 'the engine under test is made in before()');
    return this.#subject;
  }

  kill(name: string): Promise<void> {
    return this.#under.kill(name);
  }

  pause(name: string): Promise<void> {
    return this.#under.pause(name);
  }

  async removeMade(): Promise<void> {
    for (const container of this.#made.containers) await this.engine.removeContainer(container);
    for (const network of this.#made.networks) await this.engine.removeNetwork(network);
    this.#made.containers.clear();
    this.#made.networks.clear();
  }

  /** A user-defined network with labels and its own subnet, random so parallel runs on one engine do not collide. */
  networkConfig(suffix: string, overrides: Partial<NetworkConfig> = {}): NetworkConfig {
    const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
    const config: NetworkConfig = {
      name: uniqueName(suffix),
      driver: 'bridge',
      internal: false,
      attachable: false,
      enableIPv6: false,
      ipam: { subnet: `${subnet}.0/24`, gateway: `${subnet}.1` },
      options: {},
      labels: { 'io.mooring.contract': 'network', 'io.mooring.name': suffix },
      ...overrides,
    };
    this.#made.networks.add(config.name);
    return config;
  }

  async network(suffix: string, overrides: Partial<NetworkConfig> = {}): Promise<NetworkConfig> {
    const config = this.networkConfig(suffix, overrides);
    await this.engine.createNetwork(config);
    return config;
  }

  /** A long-running container with labels, defaults as mooring's own. */
  config(suffix: string, overrides: Partial<ContainerConfig> = {}): ContainerConfig {
    const full = containerConfig({
      name: uniqueName(suffix),
      image: TEST_IMAGE,
      command: ['sleep', '3600'],
      labels: { 'io.mooring.contract': 'container', 'io.mooring.name': suffix },
      stopTimeoutSeconds: 1,
      ...overrides,
    });
    this.#made.containers.add(full.name);
    return full;
  }

  async container(suffix: string, overrides: Partial<ContainerConfig> = {}, options: { start?: boolean } = {}): Promise<ContainerConfig> {
    const full = this.config(suffix, overrides);
    await this.engine.createContainer(full);
    if (options.start) await this.engine.startContainer(full.name);
    return full;
  }

  async listed(containerName: string): Promise<ObservedContainer | undefined> {
    return (await this.engine.listContainers()).find((observed) => observed.name === containerName);
  }

  async inspected(containerName: string): Promise<ObservedContainer> {
    const observed = await this.engine.inspectContainer(containerName);
    assert.ok(observed, `${containerName} should exist`);
    return observed;
  }
}

/** `promise` fails with an `EngineError` of `statusCode` that retrying cannot fix, unless `transient`. */
export async function assertEngineError(promise: Promise<unknown>, statusCode: number, options: { transient?: boolean } = {}): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    assert.equal(error.statusCode, statusCode, error.message);
    assert.equal(error.transient, options.transient ?? false, `${error.message}: transient`);
    return true;
  });
}

export function inSubnet(address: string | undefined, subnet: string): boolean {
  return address !== undefined && address.startsWith(subnet.replace(/0\/24$/, ''));
}
