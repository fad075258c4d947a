/**
 * THE table of Compose service attributes: each one is translated, waits for
 * a mooring field that has not landed yet, is read elsewhere, or is refused
 * with the reason. Nothing Compose reads is ever dropped in silence: an
 * attribute that is not here is an error too ("unknown attribute").
 */
import { expectBoolean, expectInteger, expectString, expectStringList, expectStrings } from './context.js';
import type { Translator } from './service-basics.js';
import { commandLine, environment, extraHosts, field, healthcheck, labels, oneReplica, pullPolicy, restart, stopTimeout } from './service-basics.js';
import { exposed, translatePorts } from './ports.js';
import { deploy, devices, integerResource, logging, namespaceMode, numberResource, sizeResource, stringResource, sysctls, ulimits } from './runtime-options.js';
import { configs, envFiles, secrets, tmpfs, volumes } from './storage.js';
import { build } from './build.js';

export type Row =
  /** Translated now. */
  | { translate: Translator }
  /** Translated once the Container field `needs` exists in mooring's schema (the issue that adds it). */
  | { needs: string; issue: string; translate: Translator }
  /** Translated with others, by the step that says where. */
  | { readBy: string }
  | { unsupported: string };

const RUNTIME = 'issue 15';
const STORAGE = 'issue 14';

const runtime = (needs: string, translate: Translator): Row => ({ needs, issue: RUNTIME, translate });
const storage = (needs: string, translate: Translator): Row => ({ needs, issue: STORAGE, translate });
const unsupported = (reason: string): Row => ({ unsupported: reason });
const NOT_YET = unsupported('mooring cannot represent it yet');

export const SERVICE_ATTRIBUTES: Readonly<Record<string, Row>> = {
  image: { translate: field('image', expectString) },
  command: { translate: field('command', commandLine) },
  entrypoint: { translate: field('entrypoint', commandLine) },
  environment: { translate: field('env', environment) },
  working_dir: { translate: field('workingDir', expectString) },
  user: { translate: field('user', expectString) },
  hostname: { translate: field('hostname', expectString) },
  labels: { translate: field('labels', labels) },
  restart: { translate: field('restartPolicy', restart) },
  expose: { translate: field('expose', exposed) },
  extra_hosts: { translate: field('extraHosts', extraHosts) },
  healthcheck: { translate: field('healthcheck', healthcheck) },
  stop_grace_period: { translate: field('stopTimeout', stopTimeout) },
  pull_policy: { translate: field('pullPolicy', pullPolicy) },
  ports: { translate: translatePorts },
  scale: { translate: oneReplica },
  deploy: { translate: deploy },

  container_name: { readBy: 'names' },
  profiles: { readBy: 'profiles' },
  networks: { readBy: 'networking' },
  network_mode: { readBy: 'networking' },
  links: { readBy: 'links' },
  depends_on: { readBy: 'dependencies' },

  volumes: storage('mounts', volumes),
  tmpfs: storage('mounts', tmpfs),
  secrets: storage('secrets', secrets),
  env_file: storage('envFiles', envFiles),
  configs: storage('mounts', configs),

  mem_limit: runtime('resources', sizeResource('memory')),
  memswap_limit: runtime('resources', sizeResource('memorySwap')),
  mem_reservation: runtime('resources', sizeResource('memoryReservation')),
  cpus: runtime('resources', numberResource('cpus')),
  cpu_shares: runtime('resources', integerResource('cpuShares')),
  cpuset: runtime('resources', stringResource('cpuset')),
  pids_limit: runtime('resources', integerResource('pidsLimit')),
  cap_add: runtime('capAdd', field('capAdd', expectStringList)),
  cap_drop: runtime('capDrop', field('capDrop', expectStringList)),
  privileged: runtime('privileged', field('privileged', expectBoolean)),
  devices: runtime('devices', field('devices', devices)),
  ulimits: runtime('ulimits', field('ulimits', ulimits)),
  sysctls: runtime('sysctls', field('sysctls', sysctls)),
  dns: runtime('dns', field('dns', expectStrings)),
  dns_search: runtime('dnsSearch', field('dnsSearch', expectStrings)),
  dns_opt: runtime('dnsOptions', field('dnsOptions', expectStringList)),
  read_only: runtime('readOnlyRootfs', field('readOnlyRootfs', expectBoolean)),
  init: runtime('init', field('init', expectBoolean)),
  stop_signal: runtime('stopSignal', field('stopSignal', expectString)),
  shm_size: runtime('shmSize', field('shmSize', (value) => (typeof value === 'number' ? value : expectString(value)))),
  security_opt: runtime('securityOpt', field('securityOpt', expectStringList)),
  group_add: runtime('groupAdd', field('groupAdd', expectStringList)),
  oom_score_adj: runtime('oomScoreAdj', field('oomScoreAdj', expectInteger)),
  pid: runtime('pid', field('pid', namespaceMode)),
  ipc: runtime('ipc', field('ipc', namespaceMode)),
  logging: runtime('logging', field('logging', logging)),
  build: { translate: build },

  external_links: unsupported('a link to a container outside the project: declare a mooring Link, or reach it by name on a network both join'),
  domainname: NOT_YET,
  mac_address: NOT_YET,
  tty: NOT_YET,
  stdin_open: NOT_YET,
  platform: NOT_YET,
  runtime: NOT_YET,
  userns_mode: NOT_YET,
  uts: NOT_YET,
  isolation: NOT_YET,
  cgroup: NOT_YET,
  cgroup_parent: NOT_YET,
  cpu_count: NOT_YET,
  cpu_percent: NOT_YET,
  cpu_period: NOT_YET,
  cpu_quota: NOT_YET,
  cpu_rt_period: NOT_YET,
  cpu_rt_runtime: NOT_YET,
  mem_swappiness: NOT_YET,
  oom_kill_disable: NOT_YET,
  blkio_config: NOT_YET,
  device_cgroup_rules: NOT_YET,
  storage_opt: NOT_YET,
  credential_spec: NOT_YET,
  gpus: NOT_YET,
  annotations: NOT_YET,
  label_file: NOT_YET,
  volumes_from: unsupported('mooring cannot represent it yet: declare the volumes and mount them in both containers'),
  extends: unsupported('mooring does not read `extends` yet: use YAML anchors and `<<:` merges, or write the service out'),
  develop: unsupported('`develop`/`watch` is a development loop, not a deployment: mooring does not run it'),
  attach: unsupported('attaching to logs is for an interactive `docker compose up`'),
  post_start: NOT_YET,
  pre_stop: NOT_YET,
  provider: NOT_YET,
  models: NOT_YET,
  use_api_socket: NOT_YET,
};

/** Top-level keys; each is read by the step named, or refused. */
export const TOP_LEVEL_ATTRIBUTES: Readonly<Record<string, Row>> = {
  version: { readBy: 'nothing: Compose itself ignores it (obsolete)' },
  name: { readBy: 'names' },
  services: { readBy: 'services' },
  networks: { readBy: 'networks' },
  volumes: { readBy: 'volumes' },
  secrets: { readBy: 'secrets' },
  configs: { readBy: 'configs' },
  include: unsupported('mooring does not read `include` yet: merge the files, or give each its own directory'),
  models: NOT_YET,
};
