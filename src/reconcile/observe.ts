import type { Engine, ObservedContainer, ObservedImage, ObservedNetwork, ObservedVolume, SwarmState } from '../engine/port.js';
import { eachLimited } from '../each-limited.js';
import { LABELS, MANAGED_BY } from '../engine/labels.js';
import { normalizeImage } from './effective-config.js';
import { OVERLAY_DRIVER } from '../manifests/validate-swarm.js';

/** What the engine runs, read fresh at the start of every pass. */
export interface ObservedState {
  instance: string;
  /** Every network, owned or not: a declared name may be held by something mooring does not own. */
  networks: ObservedNetwork[];
  /** Every container, running or not, owned or not. */
  containers: ObservedContainer[];
  /** The engine's place in a swarm: read only when an overlay network is declared or a mooring one is listed. */
  swarm?: SwarmState;
  /** Local images by tag, as `normalizeImage()` spells it: a container whose tag now points elsewhere is recreated, a built one whose build digest is stale rebuilt. */
  images?: ReadonlyMap<string, ObservedImage>;
  /** Every volume, owned or not. Absent: not observed (a state built by hand); nothing is planned for volumes then. */
  volumes?: ObservedVolume[];
}

export interface ObserveOptions {
  engine: Engine;
  instance: string;
  /**
   * Containers an engine event was just about. The engine sends `die` before
   * its container list shows the container exited (seen on Engine 20.10: a
   * list right after the event still says running), while an inspection waits
   * for the container's own lock and so sees the state the event announced.
   * These are inspected, and the inspection replaces the list's entry.
   */
  fresh?: readonly string[];
  /** Read the engine's swarm state too (the desired state has an overlay network). @default false */
  swarm?: boolean;
}

const INSPECT_CONCURRENCY = 8;

/** Reads the engine's networks, containers, volumes and images: four list calls, and one inspection per `fresh` container. */
export async function observe(options: ObserveOptions): Promise<ObservedState> {
  const [networks, listed, volumes, images, asked] = await Promise.all([
    options.engine.listNetworks(),
    options.engine.listContainers(),
    options.engine.listVolumes(),
    observeImages(options.engine),
    options.swarm === true ? options.engine.swarm() : undefined,
  ]);
  // An overlay mooring made and no manifest declares any more: only a manager may remove it.
  const ownOverlay = networks.some((network) => network.driver === OVERLAY_DRIVER && network.labels[LABELS.managedBy] === MANAGED_BY);
  const swarm = asked ?? (ownOverlay ? await options.engine.swarm() : undefined);
  const base = { instance: options.instance, networks, volumes, images, ...(swarm === undefined ? {} : { swarm }) };
  const fresh = [...new Set(options.fresh ?? [])];
  if (fresh.length === 0) return { ...base, containers: listed };
  const inspected = new Map<string, ObservedContainer | undefined>();
  await eachLimited(fresh, INSPECT_CONCURRENCY, async (name) => {
    inspected.set(name, await options.engine.inspectContainer(name));
  });
  const containers = listed.filter((container) => !inspected.has(container.name));
  for (const container of inspected.values()) if (container) containers.push(container);
  return { ...base, containers };
}

/** Local image ids by tag; the adapter answers from its cache while nothing changed. */
export async function observeImages(engine: Engine): Promise<Map<string, ObservedImage>> {
  const images = await engine.listImages();
  return new Map(images.flatMap((image) => image.tags.map((tag) => [normalizeImage(tag), image] as const)));
}
