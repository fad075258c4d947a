/**
 * One host's share of the desired state (docs/multi-host.md): every mooring of
 * a fleet reads the same manifests and reconciles, probes and reports only
 * what its node runs. Pure.
 */
import type { DesiredState, Document } from './model.js';
import type { LoadedManifests } from './desired-state.js';
import { containerNetworks } from './container-networks.js';
import { normalizeSecretReference } from './volumes.js';
import { OVERLAY_DRIVER } from './validate-swarm.js';

export interface NodeScope {
  /** This host's node name: `mooring run --node`, else the engine's Swarm hostname, else the host name. */
  node: string;
  /**
   * True when `--node` was given: then only what names this node is this
   * mooring's. Without it, what names no node is too, so one host needs no `node` at all.
   */
  explicit: boolean;
}

/** Whether a document that names `node` (or none) belongs to the mooring of `scope`. */
export function isOnNode(node: string | undefined, scope: NodeScope): boolean {
  return node === undefined ? !scope.explicit : node === scope.node;
}

/**
 * The Containers of this node; the Links, PortPublishes and Probes that start
 * from them (a Probe from the host, when it names this node); the overlay
 * networks, which are the swarm's and planned by role; and the other networks
 * where a local container joins them (or no container does, and this mooring
 * takes what names no node). The other nodes' Containers go into `remote`:
 * a Link from here may reach them.
 */
export function scopeToNode(desired: DesiredState, scope: NodeScope): DesiredState {
  const [local, remote] = partition(desired.containers, (container) => isOnNode(container.spec.node, scope));
  const here = new Set(local.map((container) => container.name));
  const joinedHere = new Set(local.flatMap((container) => containerNetworks(container.spec).map((attachment) => attachment.name)));
  const joinedAnywhere = new Set(desired.containers.flatMap((container) => containerNetworks(container.spec).map((attachment) => attachment.name)));
  return {
    ...desired,
    networks: desired.networks.filter(
      (network) => network.spec.driver === OVERLAY_DRIVER || joinedHere.has(network.name) || (!joinedAnywhere.has(network.name) && !scope.explicit),
    ),
    containers: local,
    links: desired.links.filter((link) => here.has(link.spec.from)),
    publishes: desired.publishes.filter((publish) => here.has(publish.spec.container)),
    probes: desired.probes.filter((probe) => (probe.spec.from === 'host' ? isOnNode(probe.spec.node, scope) : here.has(probe.spec.from))),
    remote,
  };
}

/**
 * A load of the manifests with its desired state cut down to one node's share. The files stay as
 * they are, but for the errors of secrets and env files that only other nodes' containers read:
 * those are their nodes' to report (a secret file is often on the host that needs it alone).
 */
export function scopeLoaded(loaded: LoadedManifests, scope: NodeScope): LoadedManifests {
  const desired = scopeToNode(loaded.desired, scope);
  const elsewhere = inputErrorsOfOtherNodes(loaded.desired, desired);
  if (elsewhere.size === 0) return { ...loaded, desired };
  const files = loaded.files.map((file) => (file.errors.some((error) => elsewhere.has(error)) ? { ...file, errors: file.errors.filter((error) => !elsewhere.has(error)) } : file));
  return { ...loaded, files, desired };
}

/** The input errors (the very objects the loader listed with the files) of env files of remote Containers and of Secrets only those read. */
function inputErrorsOfOtherNodes(all: DesiredState, share: DesiredState): Set<unknown> {
  const { inputs } = all;
  if (!inputs || !share.remote?.length) return new Set();
  const readers = (containers: Document<'Container'>[]) => new Set(containers.flatMap((container) => container.spec.secrets.map((entry) => normalizeSecretReference(entry).name)));
  const here = readers(share.containers);
  const there = readers(share.remote);
  const remote = new Set(share.remote.map((container) => container.name));
  return new Set([
    ...[...inputs.secrets].flatMap(([name, secret]) => (secret.error && there.has(name) && !here.has(name) ? [secret.error] : [])),
    ...[...inputs.envFiles].flatMap(([name, files]) => (files.error && remote.has(name) ? [files.error] : [])),
  ]);
}

/**
 * A loader of one node's share. The same load gives the same share, so a
 * loader that returns its last result while nothing changed still does.
 */
export function scopedLoader<R>(load: (request: R) => Promise<LoadedManifests>, scope: NodeScope): (request: R) => Promise<LoadedManifests> {
  let last: { loaded: LoadedManifests; scoped: LoadedManifests } | undefined;
  return async (request) => {
    const loaded = await load(request);
    if (last?.loaded !== loaded) last = { loaded, scoped: scopeLoaded(loaded, scope) };
    return last.scoped;
  };
}

function partition(containers: Document<'Container'>[], predicate: (container: Document<'Container'>) => boolean): [Document<'Container'>[], Document<'Container'>[]] {
  return [containers.filter(predicate), containers.filter((container) => !predicate(container))];
}
