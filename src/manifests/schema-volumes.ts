/**
 * The storage part of `mooring/v1`: the Volume and Secret kinds, and the
 * Container fields that use them (`mounts`, `secrets`, `envFiles`,
 * `secretsUpdate`). Rules across documents (a mount's volume is declared, two
 * mounts on one target) live in `validate-volumes.ts`.
 */
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());
const volumeName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a name of letters, digits, "_", "." and "-", starting with a letter or digit');
const absolutePath = z.string().regex(/^\//, 'expected an absolute path, starting with "/"');
/** A file mode in octal, as `chmod` takes it. */
const octalMode = z.string().regex(/^[0-7]{3,4}$/, 'expected an octal mode such as "0400" or "1777"');

export const volumeSpec = z.strictObject({
  driver: z.string().min(1).default('local'),
  driverOpts: stringMap.default({}),
  labels: stringMap.default({}),
  /** Must already exist; mooring never creates, changes or removes it. */
  external: z.boolean().default(false),
  /** What becomes of the volume once no manifest declares it: `Retain` keeps it (and its data), `Delete` removes it once no container uses it. */
  reclaimPolicy: z.enum(['Retain', 'Delete']).default('Retain'),
});

export const secretSpec = z
  .strictObject({
    /** Relative to the manifest's file, or absolute. */
    file: z.string().min(1).optional(),
    /** A variable of mooring's own environment. */
    env: z.string().regex(/^[^=\s]+$/, 'expected a variable name without "=" or spaces').optional(),
  })
  .refine((spec) => (spec.file === undefined) !== (spec.env === undefined), { message: 'expected exactly one of `file` and `env`' });

/** `SOURCE:TARGET` or `SOURCE:TARGET:ro|rw`: SOURCE is a Volume's name or an absolute host path. */
export const SHORT_MOUNT = /^([^:\s]+):(\/[^:]*)(?::(ro|rw))?$/;

const volumeMount = z.strictObject({
  type: z.literal('volume'),
  source: volumeName,
  target: absolutePath,
  readOnly: z.boolean().default(false),
  /** A directory inside the volume to mount instead of its root (Engine API 1.45+). */
  subpath: z.string().min(1).optional(),
  /** Leave a new, empty volume empty instead of copying into it what the image has at the target. @default false */
  noCopy: z.boolean().optional(),
});

const bindMount = z.strictObject({
  type: z.literal('bind'),
  source: absolutePath,
  target: absolutePath,
  readOnly: z.boolean().default(false),
  /** Whether a missing host path is created (as a directory); otherwise the container is not created. */
  createHostPath: z.boolean().default(false),
});

const tmpfsMount = z.strictObject({
  type: z.literal('tmpfs'),
  target: absolutePath,
  /** Bytes, or with a unit: `64m`, `1g`. */
  size: z.union([z.number().int().positive(), z.string().regex(/^\d+[kmg]?$/i, 'expected a size such as 65536, "64m" or "1g"')]).optional(),
  mode: octalMode.optional(),
});

export const mount = z.union([
  z.string().regex(SHORT_MOUNT, 'expected "SOURCE:TARGET" or "SOURCE:TARGET:ro", SOURCE a Volume\'s name or an absolute host path, TARGET an absolute path'),
  z.discriminatedUnion('type', [volumeMount, bindMount, tmpfsMount]),
]);

export const secretReference = z.union([
  volumeName,
  z.strictObject({
    name: volumeName,
    /** @default /run/secrets/<name> */
    target: absolutePath.optional(),
    mode: octalMode.optional(),
    uid: z.number().int().min(0).optional(),
    gid: z.number().int().min(0).optional(),
  }),
]);

/** Spread into the Container spec. */
export const containerStorageFields = {
  mounts: z.array(mount).default([]),
  secrets: z.array(secretReference).default([]),
  /** Relative to the manifest's file, or absolute; `KEY=value` lines as `docker run --env-file` reads them. */
  envFiles: z.array(z.string().min(1)).default([]),
  /** `Recreate`: a changed secret recreates the container. `InPlace`: its file under /run/secrets is replaced atomically and the container goes on. */
  secretsUpdate: z.enum(['Recreate', 'InPlace']).default('Recreate'),
};

export type VolumeSpec = z.output<typeof volumeSpec>;
export type SecretSpec = z.output<typeof secretSpec>;
export type MountEntry = z.output<typeof mount>;
export type SecretReferenceEntry = z.output<typeof secretReference>;
