/**
 * The status file's size cap. The file is rewritten after every pass and probe
 * round, every few seconds: a directory of thousands of documents must not make
 * it megabytes each time. Past the cap, entries are left out, the least telling
 * first (errors beyond a file's first few, healthy checks and resources, the
 * lists of documents), and `truncated` says how many of each.
 *
 * The cap grows with the resources and checks the status reports, so that a
 * host's whole state always fits: at 500 containers a fixed 256 KiB was passed
 * every round, and a file that leaves out its healthy entries every time no
 * longer tells a healthy one from a deleted one. What the cap still bounds is
 * what does not scale with the host: manifest errors and document lists.
 */
import type { Status } from './model.js';
import { count } from '../plural.js';

/** The cap with nothing declared: 256 KiB, room for the manifests' errors and document lists. */
export const BASE_STATUS_BYTES = 256 * 1024;

/**
 * What each resource and reachability check adds to the cap: 1 KiB, above
 * what one takes as the file prints it (a healthy Container about 0.6 KB, a
 * check with its last probe 0.7 KB, a troubled one with its messages about 1 KB).
 */
export const STATUS_BYTES_PER_ENTRY = 1024;

/** The cap of this status: the base, and a share for each resource and check. */
export function statusCapBytes(status: Pick<Status, 'resources' | 'reachability'>): number {
  return BASE_STATUS_BYTES + STATUS_BYTES_PER_ENTRY * (status.resources.length + status.reachability.length);
}

/** A file's first errors are kept before anything else is left out: they are what to fix first. */
const ERRORS_KEPT_PER_FILE = 5;

/** Room for the `truncated` note itself. */
const NOTE_BYTES = 600;

interface Candidate {
  item: object;
  /** Its nesting in the pretty-printed file: each of its lines is indented by 2 × depth spaces. */
  depth: number;
}

/**
 * The status file's text. Stringified once when it fits `maxBytes`: it is
 * written after every probe round, and measuring the size, then stringifying
 * again to write, doubled the cost of each write.
 */
export function renderStatus(status: Status, maxBytes: number = statusCapBytes(status)): string {
  const text = `${JSON.stringify(status, null, 2)}\n`;
  const size = Buffer.byteLength(text);
  return size <= maxBytes ? text : `${JSON.stringify(capOver(status, size, maxBytes), null, 2)}\n`;
}

/** The status as the file holds it: as is when it fits `maxBytes`, else with entries left out and `truncated` set. */
export function capStatus(status: Status, maxBytes: number = statusCapBytes(status)): Status {
  const size = byteSize(status);
  return size <= maxBytes ? status : capOver(status, size, maxBytes);
}

function capOver(status: Status, size: number, maxBytes: number): Status {
  let excess = size + NOTE_BYTES - maxBytes;
  const fine = <T>(items: T[], isFine: (item: T) => boolean) => items.filter(isFine).reverse();
  const troubled = <T>(items: T[], isFine: (item: T) => boolean) => items.filter((item) => !isFine(item)).reverse();
  const healthyCheck = (check: Status['reachability'][number]) => check.healthy === true;
  const healthyResource = (resource: Status['resources'][number]) => resource.health === 'Healthy';
  const at = (depth: number) => (item: object): Candidate => ({ item, depth });
  const candidates: Candidate[] = [
    ...status.manifests.flatMap((file) => file.errors.slice(ERRORS_KEPT_PER_FILE)).reverse().map(at(4)),
    ...fine(status.reachability, healthyCheck).map(at(2)),
    ...fine(status.resources, healthyResource).map(at(2)),
    ...status.manifests.flatMap((file) => file.documents).reverse().map(at(4)),
    ...troubled(status.reachability, healthyCheck).map(at(2)),
    ...troubled(status.resources, healthyResource).map(at(2)),
    ...status.manifests.flatMap((file) => file.errors.slice(0, ERRORS_KEPT_PER_FILE)).reverse().map(at(4)),
  ];
  const omitted = new Set<object>();
  let next = 0;
  for (;;) {
    for (; excess > 0 && next < candidates.length; next++) {
      const candidate = candidates[next]!;
      omitted.add(candidate.item);
      excess -= estimatedBytes(candidate);
    }
    const capped = without(status, omitted, maxBytes);
    // The estimates are close, not exact: leave out more until it fits, or nothing is left to leave out.
    excess = byteSize(capped) - maxBytes;
    if (excess <= 0 || next >= candidates.length) return capped;
  }
}

function without(status: Status, omitted: ReadonlySet<object>, maxBytes: number): Status {
  const kept = <T extends object>(items: T[]) => items.filter((item) => !omitted.has(item));
  const manifests = status.manifests.map((file) => ({ ...file, errors: kept(file.errors), documents: kept(file.documents) }));
  const counts = {
    resources: status.resources.length - kept(status.resources).length,
    reachability: status.reachability.length - kept(status.reachability).length,
    manifestErrors: status.manifests.reduce((sum, file) => sum + file.errors.length, 0) - manifests.reduce((sum, file) => sum + file.errors.length, 0),
    manifestDocuments: status.manifests.reduce((sum, file) => sum + file.documents.length, 0) - manifests.reduce((sum, file) => sum + file.documents.length, 0),
  };
  const named = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([what, n]) => count(n, NOUNS[what as keyof typeof counts]));
  return {
    ...status,
    manifests,
    resources: kept(status.resources),
    reachability: kept(status.reachability),
    truncated: {
      maxBytes,
      omitted: counts,
      message:
        `the status file is capped at ${maxBytes} bytes; left out, healthy entries first: ${named.join(', ')}. ` +
        '`/status` and `/metrics` over HTTP have every entry, `mooring validate` every manifest error',
    },
  };
}

const NOUNS = { resources: 'resource', reachability: 'reachability check', manifestErrors: 'manifest error', manifestDocuments: 'manifest document' };

function byteSize(status: Status): number {
  return Buffer.byteLength(JSON.stringify(status, null, 2)) + 1;
}

function estimatedBytes({ item, depth }: Candidate): number {
  const text = JSON.stringify(item, null, 2);
  let lines = 1;
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) lines++;
  // Its own text, its lines' indentation, and the `,\n` that separates it from the next.
  return Buffer.byteLength(text) + lines * 2 * depth + 2;
}
