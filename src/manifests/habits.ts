/**
 * Unknown fields that habits from `docker run` and Compose lead to, and what
 * mooring has instead: said in place of a "did you mean", which would point
 * at the wrong field (`ports` is not a misspelt `expose`).
 */
import type { Kind } from './schema.js';

const PUBLISH = 'publish ports with a PortPublish (`kind: PortPublish`, `spec: {container, containerPort, hostPort}`)';
const LINK = 'link containers with a Link (`kind: Link`, `spec: {from, to}`)';
const IPAM = (field: string) => `set it under \`ipam\`: \`ipam: {${field}: ...}\``;

/** By kind, then by dotted path. */
export const HABIT_HINTS: Readonly<Record<Kind, Readonly<Record<string, string>>>> = {
  Container: {
    'spec.ports': PUBLISH,
    'spec.publish': PUBLISH,
    'spec.links': LINK,
    'spec.link': LINK,
    'spec.network': 'list the networks to join in `networks: [{name: ...}]`, or set `networkMode`',
    'spec.net': 'list the networks to join in `networks: [{name: ...}]`, or set `networkMode`',
    'spec.environment': 'set variables in `env`, a mapping of names to values',
    'spec.restart': 'use `restartPolicy`',
    'spec.depends_on': 'use `dependsOn`',
    'spec.name': 'the container is named by `metadata.name`',
    'spec.container_name': 'the container is named by `metadata.name`',
    'spec.volumes': 'mount volumes, host paths and tmpfs with `mounts`',
    'spec.env_file': 'use `envFiles`',
    'spec.envFile': 'use `envFiles`, a list',
  },
  Network: {
    'spec.subnet': IPAM('subnet'),
    'spec.gateway': IPAM('gateway'),
    'spec.ipRange': IPAM('ipRange'),
    'spec.ip_range': IPAM('ipRange'),
    'spec.ip-range': IPAM('ipRange'),
  },
  Link: {},
  PortPublish: {
    'spec.ports': 'one PortPublish publishes one port: `containerPort` and `hostPort`',
  },
  Probe: {},
  Volume: {
    'spec.driver_opts': 'use `driverOpts`',
    'spec.name': 'the volume is named by `metadata.name`',
  },
  Secret: {
    'spec.environment': 'name the variable of mooring\'s environment in `env`',
  },
};
