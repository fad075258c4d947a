/**
 * The manifest format, `mooring/v1`, as zod schemas: the single source of the
 * manifest types, of defaults, and of the published JSON Schema.
 *
 * Schemas describe one document's shape only; rules that span documents
 * (references, duplicates, cycles) live in `validate.ts`.
 */
import { z } from 'zod';
import { splitCommand } from './command-line.js';
import { containerStorageFields, secretSpec, volumeSpec } from './schema-volumes.js';
import type { SecretSpec, VolumeSpec } from './schema-volumes.js';
import { dependency, ipamConfigs, runtimeFields } from './schema-runtime.js';

export const API_VERSION = 'mooring/v1';

/** Docker's own rule for container and network names. */
const dockerName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a name of letters, digits, "_", "." and "-", starting with a letter or digit');

const port = z.number().int().min(1).max(65535);
const protocol = z.enum(['tcp', 'udp']);
const stringMap = z.record(z.string(), z.string());

/** Seconds as a number, or a Go-style duration string such as `500ms`, `10s`, `1m30s`. */
const durationString = z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'expected a duration such as "500ms", "10s" or "1m"');
export const duration = z.union([z.number().nonnegative(), durationString]);

/** A probe's timing: 0 would time every check out at once, or probe without a pause. */
const positiveDuration = z.union([
  z.number().positive(),
  durationString.regex(/[1-9]/, 'expected a duration longer than 0'),
]);

const metadata = z.strictObject({
  name: dockerName,
  labels: stringMap.optional(),
});

/** A healthcheck's `test` as a string runs in a shell (CMD-SHELL), so its words are the shell's business. */
const shellCommand = z.union([z.string().min(1), z.array(z.string()).min(1)]);

/** `command` and `entrypoint` as a string are split into words here and by the planner: refuse what does not split. */
const commandLine = z.union([
  z.string().min(1).superRefine((value, context) => {
    try {
      if (splitCommand(value).length === 0) context.addIssue({ code: 'custom', message: `expected a command line with at least one word, got ${JSON.stringify(value)}` });
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  z.array(z.string()).min(1),
]);

export const ipv4 = z.ipv4();
const cidr = z.cidrv4();

export const networkSpec = z.strictObject({
  driver: z.enum(['bridge', 'overlay', 'macvlan', 'ipvlan']).default('bridge'),
  internal: z.boolean().default(false),
  attachable: z.boolean().default(false),
  enableIPv6: z.boolean().default(false),
  ipam: z
    .strictObject({
      subnet: cidr.optional(),
      gateway: ipv4.optional(),
      ipRange: cidr.optional(),
      configs: ipamConfigs,
    })
    .refine((ipam) => ipam.configs === undefined || (ipam.subnet ?? ipam.gateway ?? ipam.ipRange) === undefined, {
      error: 'expected either `configs` or `subnet`, `gateway` and `ipRange`, not both',
    })
    .optional(),
  options: stringMap.default({}),
  labels: stringMap.default({}),
  /** Must already exist; mooring never creates, changes or removes it. */
  external: z.boolean().default(false),
});

export const containerNetwork = z.strictObject({
  name: dockerName,
  aliases: z.array(z.string().min(1)).default([]),
  ipv4Address: ipv4.optional(),
  ipv6Address: z.ipv6().optional(),
});

/** `80`, `"80"`, `"80/tcp"`, `"53/udp"`. */
export const exposedPort = z.union([
  port,
  z
    .string()
    .regex(/^\d{1,5}(\/(tcp|udp))?$/, 'expected a port such as 80, "80/tcp" or "53/udp"')
    .refine((value) => port.safeParse(Number(value.split('/')[0])).success, { error: (issue) => `expected a port from 1 to 65535, got ${JSON.stringify(issue.input)}` }),
]);

/** `name:ip`, where ip may be the special `host-gateway`. */
export const extraHost = z
  .string()
  .regex(/^[^:\s]+:([0-9.]+|[0-9a-fA-F:]+|host-gateway)$/, 'expected "name:ip", where ip may be host-gateway');

export const healthcheck = z.strictObject({
  test: shellCommand,
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: z.number().int().min(0).optional(),
  startPeriod: duration.optional(),
});

export const restartPolicy = z.enum(['no', 'always', 'unless-stopped', 'on-failure']);

/** A Container's `stopTimeout` when its manifest gives none, and when a container's label no longer says it (Docker's own default). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 10;

const buildSettings = z.strictObject({
  /** A directory, relative to the manifest's file. */
  context: z.string().min(1),
  /** Relative to `context`. */
  dockerfile: z.string().min(1).default('Dockerfile'),
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  target: z.string().min(1).optional(),
});

/** `build: ./api` is short for `build: { context: ./api }`, as in Compose. */
export const imageBuild = z.union([
  z.string().min(1).transform((context) => ({ context, dockerfile: 'Dockerfile', args: {} as Record<string, string>, target: undefined as string | undefined })),
  buildSettings,
]);

export const containerSpec = z.strictObject({
  image: z.string().min(1),
  command: commandLine.optional(),
  entrypoint: commandLine.optional(),
  env: z.record(z.string().regex(/^[^=\s]+$/, 'expected a variable name without "=" or spaces'), z.union([z.string(), z.number(), z.boolean()])).default({}),
  workingDir: z.string().optional(),
  user: z.string().optional(),
  hostname: z.string().optional(),
  labels: stringMap.default({}),
  restartPolicy: restartPolicy.default('unless-stopped'),
  /** Default, when `networkMode` is not set either: the built-in `bridge`. */
  networks: z.array(containerNetwork).optional(),
  networkMode: z
    .union([z.enum(['host', 'none']), z.string().regex(/^container:[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected host, none or container:<name>')])
    .optional(),
  expose: z.array(exposedPort).default([]),
  extraHosts: z.array(extraHost).default([]),
  dependsOn: z.array(dependency(dockerName)).default([]),
  healthcheck: healthcheck.optional(),
  stopTimeout: z.number().int().min(0).default(DEFAULT_STOP_TIMEOUT_SECONDS),
  state: z.enum(['running', 'stopped']).default('running'),
  pullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']).default('IfNotPresent'),
  /** Set: mooring builds `image` from this context when the context changes, and never pulls it. */
  build: imageBuild.optional(),
  ...containerStorageFields,
  ...runtimeFields,
  /** The host (`mooring run --node`) that runs it; unset: the mooring that runs without `--node`. */
  node: dockerName.optional(),
});

export const linkSpec = z.strictObject({
  from: dockerName,
  to: dockerName,
  /** Default: `to`. */
  alias: z.string().min(1).optional(),
  /** Set: a network-scoped link on that network. Unset: a legacy link on the default bridge. */
  network: dockerName.optional(),
  ports: z.array(port).optional(),
});

export const portPublishSpec = z.strictObject({
  container: dockerName,
  containerPort: port,
  protocol: protocol.default('tcp'),
  /** Omitted: an ephemeral port chosen by the engine. */
  hostPort: port.optional(),
  hostIp: z.union([ipv4, z.ipv6()]).default('0.0.0.0'),
});

/** A container's address on one network, looked up from the engine every round: it follows the container across recreates. */
export const probeContainerTarget = z.strictObject({
  container: dockerName,
  network: dockerName,
});

export const probeSpec = z.strictObject({
  /** A container name, or `host`. */
  from: dockerName,
  /** A name as `from` would resolve it, an IP, `host.docker.internal`, or a container's address on a network. */
  to: z.union([z.string().min(1), probeContainerTarget]),
  /** Empty: a DNS-only check, that `to` resolves (as for a Link to a container that exposes nothing). */
  ports: z.array(port),
  expect: z.enum(['reachable', 'unreachable']).default('reachable'),
  interval: positiveDuration.optional(),
  timeout: positiveDuration.optional(),
  failureThreshold: z.number().int().min(1).optional(),
  /** For `from: host`: the host whose mooring probes; unset: the mooring that runs without `--node`. */
  node: dockerName.optional(),
});

function documentSchema<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata,
    spec,
  });
}

export const documentSchemas = {
  Network: documentSchema('Network', networkSpec),
  Container: documentSchema('Container', containerSpec),
  Link: documentSchema('Link', linkSpec),
  PortPublish: documentSchema('PortPublish', portPublishSpec),
  Probe: documentSchema('Probe', probeSpec),
  Volume: documentSchema('Volume', volumeSpec),
  Secret: documentSchema('Secret', secretSpec),
} as const;

export type Kind = keyof typeof documentSchemas;
export const KINDS = Object.keys(documentSchemas) as Kind[];

/** Any one document, as the published JSON Schema describes it. */
export const manifestSchema = z.discriminatedUnion('kind', [
  documentSchemas.Network,
  documentSchemas.Container,
  documentSchemas.Link,
  documentSchemas.PortPublish,
  documentSchemas.Probe,
  documentSchemas.Volume,
  documentSchemas.Secret,
]);

export type NetworkSpec = z.output<typeof networkSpec>;
export type ContainerSpec = z.output<typeof containerSpec>;
export type ContainerNetwork = z.output<typeof containerNetwork>;
export type LinkSpec = z.output<typeof linkSpec>;
export type PortPublishSpec = z.output<typeof portPublishSpec>;
export type ProbeSpec = z.output<typeof probeSpec>;
export type ProbeContainerTarget = z.output<typeof probeContainerTarget>;
export type Duration = z.output<typeof duration>;

export interface SpecByKind {
  Network: NetworkSpec;
  Container: ContainerSpec;
  Link: LinkSpec;
  PortPublish: PortPublishSpec;
  Probe: ProbeSpec;
  Volume: VolumeSpec;
  Secret: SecretSpec;
}
