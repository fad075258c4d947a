/**
 * The operator's policy: what a manifest may ask of the host. Manifests come
 * from a repository, the daemon's flags from the host's operator, so whoever
 * can merge to the repository must not become root on the machine by asking
 * for it. `baseline` (the default, after Kubernetes' Pod Security Standards)
 * refuses what escapes the container; `privileged` allows everything; a policy
 * file is `baseline` with the allowances it lists.
 *
 * A refused field is a manifest error at its place in the file, so the file
 * keeps its last good version and nothing that runs is touched.
 */
import { dirname, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { AnyDocument, Document } from './model.js';
import { ManifestError } from './errors.js';
import { capability } from './schema-runtime.js';
import { errorMessage } from '../errors.js';

export const BUILT_IN_POLICIES = ['baseline', 'privileged'] as const;

/** What a policy file may allow beyond `baseline`. Paths may end in `/**` for everything under a directory. */
export const policyFileSchema = z.strictObject({
  allow: z
    .strictObject({
      privileged: z.boolean().default(false),
      /** `pid: host`. */
      hostPid: z.boolean().default(false),
      /** `ipc: host`. */
      hostIpc: z.boolean().default(false),
      /** Capabilities beyond Docker's default set, e.g. `NET_ADMIN`; `ALL` allows any. */
      capAdd: z.array(z.string().min(1)).default([]),
      /** Host device paths, e.g. `/dev/fuse`, `/dev/dri/**`. */
      devices: z.array(z.string().min(1)).default([]),
      /** `securityOpt` entries that lift confinement, e.g. `seccomp=unconfined`. */
      securityOpt: z.array(z.string().min(1)).default([]),
      /** Host paths that may be bind-mounted though baseline refuses them, e.g. `/etc/ssl/**`. */
      bindMounts: z.array(z.string().min(1)).default([]),
    })
    .default({ privileged: false, hostPid: false, hostIpc: false, capAdd: [], devices: [], securityOpt: [], bindMounts: [] }),
});

export type PolicyAllowances = z.output<typeof policyFileSchema>['allow'];

export interface Policy {
  /** `baseline`, `privileged`, or the policy file's path: errors name it. */
  name: string;
  /** Absent: everything is allowed (`privileged`). */
  allow?: PolicyAllowances;
}

export const BASELINE: Policy = { name: 'baseline', allow: policyFileSchema.parse({}).allow };
export const PRIVILEGED: Policy = { name: 'privileged' };

/** Docker's default capability set: adding one of these changes nothing. */
const DEFAULT_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

/** Host paths no bind mount may expose under baseline: each with everything under it, except `/`, which is refused alone. */
const PROTECTED_PATHS = ['/etc', '/proc', '/sys', '/dev', '/boot', '/root', '/var/lib/docker', '/run/containerd'];
/** The engine's and mooring's own sockets, wherever they are. */
const SOCKET = /(^|\/)(docker|containerd|mooring)[^/]*\.sock$/;

/** `seccomp=unconfined`, `apparmor:unconfined`, `label=disable`, `systempaths=unconfined`: options that switch confinement off. */
const UNCONFINED = /^(seccomp|apparmor|systempaths)[=:]unconfined$|^label[=:]disable$/;

/** `baseline`, `privileged`, or a policy file's path. */
export async function resolvePolicy(value: string): Promise<Policy> {
  if (value === 'baseline') return BASELINE;
  if (value === 'privileged') return PRIVILEGED;
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (error) {
    throw new Error(`--policy ${value}: expected baseline, privileged or a policy file: ${errorMessage(error)}`);
  }
  let data: unknown;
  try {
    // Loaded here only: `baseline` and `privileged`, the usual policies, need no YAML parser.
    const { parse } = await import('yaml');
    data = parse(text) ?? {};
  } catch (error) {
    throw new Error(`--policy ${value}: ${errorMessage(error)}`);
  }
  const parsed = policyFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`--policy ${value}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  return { name: value, allow: parsed.data.allow };
}

/**
 * The manifest errors of every field the policy refuses, at the field's place.
 * `directory` (the manifests directory) resolves relative build contexts.
 */
export function checkPolicy(documents: readonly AnyDocument[], policy: Policy, directory = '/'): ManifestError[] {
  const { allow } = policy;
  if (!allow) return [];
  const errors: ManifestError[] = [];
  for (const document of documents) {
    if (document.kind !== 'Container') continue;
    const refuse = (path: (string | number)[], what: string, allowance: string) => {
      const hint = `allow it with \`allow: { ${allowance} }\` in a policy file given with --policy, or run with --policy privileged`;
      errors.push(new ManifestError(`${what} is not allowed by the daemon's policy (${policy.name}); ${hint}`, {
        ...document.positionOf(path),
        resource: `Container/${document.name}`,
        path: path.join('.'),
      }));
    };
    for (const { path, what, allowance } of refusals(document, allow, directory)) refuse(path, what, allowance);
  }
  return errors;
}

interface Refusal {
  path: (string | number)[];
  what: string;
  allowance: string;
}

function refusals(document: Document<'Container'>, allow: PolicyAllowances, directory: string): Refusal[] {
  const { spec } = document;
  const found: Refusal[] = [];
  if (spec.privileged && !allow.privileged) found.push({ path: ['spec', 'privileged'], what: 'privileged: true', allowance: 'privileged: true' });
  if (spec.pid === 'host' && !allow.hostPid) found.push({ path: ['spec', 'pid'], what: 'pid: host', allowance: 'hostPid: true' });
  if (spec.ipc === 'host' && !allow.hostIpc) found.push({ path: ['spec', 'ipc'], what: 'ipc: host', allowance: 'hostIpc: true' });
  const allowedCaps = new Set(allow.capAdd.map(capability));
  spec.capAdd?.forEach((entry, i) => {
    const name = capability(entry);
    if (!DEFAULT_CAPABILITIES.has(name) && !allowedCaps.has(name) && !allowedCaps.has('ALL')) {
      found.push({ path: ['spec', 'capAdd', i], what: name, allowance: `capAdd: [${name}]` });
    }
  });
  spec.devices?.forEach((entry, i) => {
    const host = entry.split(':')[0]!;
    if (!allow.devices.some((pattern) => pathMatches(pattern, host))) found.push({ path: ['spec', 'devices', i], what: `device ${host}`, allowance: `devices: ["${host}"]` });
  });
  spec.securityOpt?.forEach((entry, i) => {
    if (UNCONFINED.test(entry) && !allow.securityOpt.includes(entry)) found.push({ path: ['spec', 'securityOpt', i], what: entry, allowance: `securityOpt: ["${entry}"]` });
  });
  bindSources(spec).forEach(({ source, path }) => {
    if (protectedPath(source) && !allow.bindMounts.some((pattern) => pathMatches(pattern, source))) {
      found.push({ path, what: `a bind mount of ${source}`, allowance: `bindMounts: ["${source}"]` });
    }
  });
  // A build sends the context's files into an image the container then runs: as much a read of the host as a bind mount.
  if (spec.build) {
    const context = resolve(directory, dirname(document.source.file), spec.build.context);
    if (protectedPath(context) && !allow.bindMounts.some((pattern) => pathMatches(pattern, context))) {
      found.push({ path: typeof spec.build === 'object' ? ['spec', 'build', 'context'] : ['spec', 'build'], what: `a build context of ${context}`, allowance: `bindMounts: ["${context}"]` });
    }
  }
  return found;
}

/**
 * The host paths a container bind-mounts, with the field that names each: a
 * `mounts` entry as `SOURCE:TARGET[:ro]` with an absolute SOURCE, or
 * `{ type: bind, source }`.
 */
function bindSources(spec: Document<'Container'>['spec']): { source: string; path: (string | number)[] }[] {
  const mounts = (spec as { mounts?: unknown }).mounts;
  if (!Array.isArray(mounts)) return [];
  return mounts.flatMap((entry: unknown, i) => {
    if (typeof entry === 'string') return entry.startsWith('/') ? [{ source: entry.split(':')[0]!, path: ['spec', 'mounts', i] }] : [];
    const mount = entry as { type?: string; source?: string };
    return mount.type === 'bind' && typeof mount.source === 'string' ? [{ source: mount.source, path: ['spec', 'mounts', i, 'source'] }] : [];
  });
}

function protectedPath(source: string): boolean {
  const path = normalizePath(source);
  if (path === '/' || SOCKET.test(path)) return true;
  return PROTECTED_PATHS.some((root) => path === root || path.startsWith(`${root}/`));
}

/** `/var/run` is a link to `/run`; `.` and `..` and doubled slashes are resolved, so `/srv/../etc` is `/etc`. */
function normalizePath(source: string): string {
  const parts: string[] = [];
  for (const part of source.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const path = `/${parts.join('/')}`;
  return path === '/var/run' || path.startsWith('/var/run/') ? path.slice('/var'.length) : path;
}

/** A pattern is a path, or a directory followed by `/**` for everything under it. */
function pathMatches(pattern: string, source: string): boolean {
  const path = normalizePath(source);
  if (pattern.endsWith('/**')) {
    const root = normalizePath(pattern.slice(0, -3));
    return path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
  }
  return normalizePath(pattern) === path;
}
