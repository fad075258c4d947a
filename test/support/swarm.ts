/**
 * A two-host Docker Swarm for a mocha suite (scripts/swarm.sh): `useSwarm()`
 * in a `describe` starts it in `before` and tears it all down in `after`. Each
 * node is an engine in a network namespace of its own; a command started with
 * `node.prefix` before it runs in that namespace, as if on that host.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RUN_ID } from './docker.js';

const execFileAsync = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/swarm.sh', import.meta.url));
const ENGINES_SCRIPT = fileURLToPath(new URL('../../scripts/second-engine.sh', import.meta.url));

export interface SwarmNode {
  /** The engine's name, which is also its hostname and its Swarm node's. */
  name: string;
  /** `unix:///…/docker.sock`. */
  socket: string;
  /** Its address on the underlay the nodes share. */
  address: string;
  role: 'manager' | 'worker';
  /** The network namespace the node's engine and its processes live in. */
  netns: string;
  /** The docker CLI against this node's engine. */
  docker(...args: string[]): Promise<string>;
  /** What runs a command in this node's network namespace, when put before it. */
  prefix: [string, ...string[]];
  /** The pid of the node's dockerd, undefined when it is not running. */
  enginePid(): Promise<number | undefined>;
}

export interface Swarm {
  /** Set once `before` ran: the manager first. */
  readonly nodes: readonly SwarmNode[];
  /** Starts whatever is not running (an engine killed comes back a member) and waits until both nodes are active. */
  start(): Promise<void>;
}

async function script(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('bash', [file, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

function node(line: string): SwarmNode {
  const [name = '', socket = '', address = '', role = ''] = line.split(' ');
  const netns = `/var/run/netns/mooring-${name}`;
  return {
    name,
    socket,
    address,
    role: role === 'manager' ? 'manager' : 'worker',
    netns,
    docker: async (...args) => (await execFileAsync('docker', ['-H', socket, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim(),
    prefix: ['nsenter', `--net=${netns}`],
    enginePid: async () => Number(await script(ENGINES_SCRIPT, 'pid', name)) || undefined,
  };
}

/**
 * Registers `before` and `after` hooks that start and stop a swarm named
 * `name` (short: it names namespaces and directories). It needs root: without
 * it the suite is skipped, except under CI=true, where that fails it.
 */
export function useSwarm(name = `sw${RUN_ID}`): Swarm {
  let nodes: SwarmNode[] = [];
  let started = false;
  const swarm: Swarm = {
    get nodes() {
      return nodes;
    },
    async start() {
      started = true;
      nodes = (await script(SCRIPT, 'start', name)).split('\n').map(node);
    },
  };
  // Generous: an engine of a swarm takes its time to stop, more so on a loaded machine.
  before(async function () {
    this.timeout(300_000);
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') throw new Error('a swarm of engines needs root, and under CI=true the tests that need one must run');
      this.skip();
    }
    await swarm.start();
  });
  after(async function () {
    this.timeout(600_000);
    if (started) await script(SCRIPT, 'stop', name);
  });
  return swarm;
}
