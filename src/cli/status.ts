import { Command, Option } from 'commander';
import type { CliIo, CommandFactory } from './command.js';
import { EXIT, writeLine } from './command.js';
import type { ReachabilityStatus } from '../probes/model.js';
import type { Condition, ResourceStatus, Status } from '../status/model.js';
import { readSource } from './status-source.js';

export interface StatusCommandDeps {
  /** For "written 5s ago". */
  now(): number;
}

/** `mooring status`: the daemon's status file as tables for people, or as it is with `-o json`. */
export function createStatusCommand(deps: StatusCommandDeps): CommandFactory {
  return (io, done) => {
    const command: Command = new Command('status')
      .description('Show what the daemon last wrote: sync state, resources, reachability')
      .option('--status <file|url>', 'status file that `mooring run` writes, or its /status URL; repeat it for a fleet: one table with a NODE column', collect, [])
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async () => {
        const options = command.opts<{ status: string[]; output: 'text' | 'json' }>();
        const sources = options.status.length > 0 ? options.status : ['status.json'];
        const read = await Promise.all(sources.map((source) => readStatus(io, source)));
        const nodes = read.flatMap((status, i) => (status === undefined ? [] : [{ source: sources[i]!, ...status }]));
        if (sources.length === 1) {
          const [only] = nodes;
          if (only === undefined) return done(EXIT.failed);
          io.stdout.write(options.output === 'json' ? only.text : formatStatus(only.parsed, deps.now()));
          return done(EXIT.ok);
        }
        // A fleet shows the nodes it can read, and fails for those it cannot.
        const fleet = nodes.map(({ source, parsed }) => ({ source, status: parsed }));
        io.stdout.write(options.output === 'json' ? `${JSON.stringify({ items: fleet.map((entry) => entry.status) }, null, 2)}\n` : formatFleet(fleet, deps.now()));
        done(nodes.length === sources.length ? EXIT.ok : EXIT.failed);
      });
    return command;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function readStatus(io: CliIo, file: string): Promise<{ text: string; parsed: Status } | undefined> {
  let text: string;
  try {
    text = await readSource(file);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    writeLine(io.stderr, missing ? `mooring: no status file at ${file}; is \`mooring run --status ${file}\` running?` : `mooring: cannot read ${file}: ${(error as Error).message}`);
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed?.kind !== 'Status') throw new Error(`expected kind Status, got ${JSON.stringify(parsed?.kind)}`);
    return { text, parsed };
  } catch (error) {
    writeLine(io.stderr, `mooring: ${file} is not a mooring status file: ${(error as Error).message}`);
    return undefined;
  }
}

function engineLine(engine: Status['engine']): string {
  if (engine.reachable === null) return 'unknown: not contacted yet';
  return engine.reachable ? `reachable${engine.version ? `, version ${engine.version}` : ''}` : `NOT reachable: ${engine.lastError ?? 'unknown error'}`;
}

export function formatStatus(status: Status, now: number): string {
  const { daemon, engine, sync } = status;
  const lines = [
    `mooring ${daemon.version}, instance ${daemon.instance}, pid ${daemon.pid}, manifests ${daemon.manifestsDirectory}`,
    `Status written ${status.generatedAt} (${ago(status.generatedAt, now)})${daemon.stoppedAt ? `; the daemon stopped at ${daemon.stoppedAt}` : ''}`,
    `Engine:  ${engineLine(engine)}`,
    `Sync:    ${sync.state}, revision ${sync.revision.slice(0, 12) || '-'}${
      sync.lastReconcileAt ? `, last pass ${sync.lastReconcileAt} (${ago(sync.lastReconcileAt, now)}, ${sync.lastReconcileDurationMs ?? 0} ms)` : ''
    }, ${sync.reconcileTotal} passes, ${sync.reconcileErrorsTotal} with errors`,
  ];
  if (sync.message) lines.push(`         ${sync.message}`);

  lines.push('', ...table(['MANIFEST', 'VALID', 'DOCUMENTS', 'ERRORS'], manifestRows(status)));
  if (status.manifests.some((manifest) => manifest.usingLastKnownGood)) lines.push('(* invalid: its last good version stays applied)');

  lines.push('', ...table(['KIND', 'NAME', 'HEALTH', 'SOURCE', 'DETAIL'], status.resources.map(resourceRow)));

  if (status.volumes) lines.push('', ...table(VOLUME_COLUMNS, volumeRows(status)));
  const mounts = mountRows(status);
  if (mounts.length > 0) lines.push('', ...table(MOUNT_COLUMNS, mounts));

  lines.push('', ...table(['CHECK', 'FROM', 'TO', 'PORT', 'EXPECT', 'HEALTH', 'LAST PROBE'], status.reachability.map(reachabilityRow)));
  const summary = status.reachabilitySummary;
  lines.push(`${summary.total} checks: ${summary.healthy} healthy, ${summary.unhealthy} unhealthy, ${summary.unknown} unknown`);
  return `${lines.join('\n')}\n`;
}

/** One node's status in a fleet (docs/multi-host.md). */
export interface NodeStatus {
  /** Where it was read: a file or a URL. */
  source: string;
  status: Status;
}

/** The node a status is about: its `daemon.node`, else where it was read. */
export function nodeOf({ source, status }: NodeStatus): string {
  return status.daemon.node ?? source;
}

/** Several nodes' statuses as one set of tables with a NODE column. */
export function formatFleet(nodes: readonly NodeStatus[], now: number): string {
  const perNode = <T>(rows: (entry: NodeStatus) => T[][]) => nodes.flatMap((entry) => rows(entry).map((row) => [nodeOf(entry), ...row] as T[]));
  const lines = [
    ...table(
      ['NODE', 'INSTANCE', 'SYNC', 'ENGINE', 'WRITTEN', 'PASSES'],
      nodes.map((entry) => {
        const { daemon, sync, engine, generatedAt } = entry.status;
        const written = `${ago(generatedAt, now)}${daemon.stoppedAt ? ', stopped' : ''}`;
        return [nodeOf(entry), daemon.instance, sync.state, engineLine(engine), written, `${sync.reconcileTotal} (${sync.reconcileErrorsTotal} with errors)`];
      }),
    ),
    ...nodes.flatMap((entry) => (entry.status.sync.message ? [`${nodeOf(entry)}: ${entry.status.sync.message}`] : [])),
    '',
    ...table(['NODE', 'MANIFEST', 'VALID', 'DOCUMENTS', 'ERRORS'], perNode((entry) => manifestRows(entry.status))),
    '',
    ...table(['NODE', 'KIND', 'NAME', 'HEALTH', 'SOURCE', 'DETAIL'], perNode((entry) => entry.status.resources.map(resourceRow))),
    '',
  ];
  // Volumes are one host's: each node shows its own, orphans and missing ones included.
  const volumes = perNode((entry) => volumeRows(entry.status));
  if (volumes.length > 0) lines.push(...table(['NODE', ...VOLUME_COLUMNS], volumes), '');
  const mounts = perNode((entry) => mountRows(entry.status));
  if (mounts.length > 0) lines.push(...table(['NODE', ...MOUNT_COLUMNS], mounts), '');
  lines.push(...table(['NODE', 'CHECK', 'FROM', 'TO', 'PORT', 'EXPECT', 'HEALTH', 'LAST PROBE'], perNode((entry) => entry.status.reachability.map(reachabilityRow))));
  const sum = (key: 'total' | 'healthy' | 'unhealthy' | 'unknown') => nodes.reduce((total, entry) => total + entry.status.reachabilitySummary[key], 0);
  lines.push(`${sum('total')} checks on ${nodes.length} nodes: ${sum('healthy')} healthy, ${sum('unhealthy')} unhealthy, ${sum('unknown')} unknown`);
  return `${lines.join('\n')}\n`;
}

const VOLUME_COLUMNS = ['VOLUME', 'STATE', 'DRIVER', 'USED BY', 'DETAIL'];
const MOUNT_COLUMNS = ['CONTAINER', 'MOUNTS'];

function volumeRows(status: Status): string[][] {
  return (status.volumes ?? []).map((volume) => [volume.name, volume.state, volume.driver ?? '', volume.usedBy.join(', ') || '-', volume.message ?? '']);
}

function mountRows(status: Status): string[][] {
  return status.resources.flatMap((resource) => (resource.mounts ? [[resource.name, resource.mounts.join(', ')]] : []));
}

function manifestRows(status: Status): string[][] {
  const rows: string[][] = [];
  for (const manifest of status.manifests) {
    const errors = manifest.errors.map((error) => `${manifest.file}:${error.line}:${error.column}: ${[error.resource, error.path, error.message].filter(Boolean).join(': ')}`);
    const valid = manifest.valid ? 'yes' : manifest.usingLastKnownGood ? 'no*' : 'no';
    rows.push([manifest.file, valid, String(manifest.documents.length), errors[0] ?? '']);
    for (const error of errors.slice(1)) rows.push(['', '', '', error]);
  }
  return rows;
}

/** The first condition that is not True says what is wrong; else the last error. */
function resourceRow(resource: ResourceStatus): string[] {
  const wrong = resource.conditions.find((condition) => condition.status !== 'True');
  const detail = wrong ? describeCondition(wrong) : (resource.lastError ?? '');
  return [resource.kind, resource.name, resource.health, resource.source, detail];
}

function describeCondition(condition: Condition): string {
  return `${condition.type}=${condition.status} ${condition.reason}${condition.message ? `: ${condition.message}` : ''}`;
}

function reachabilityRow(check: ReachabilityStatus): string[] {
  const health = check.healthy === null ? 'Unknown' : check.healthy ? 'Healthy' : 'Unhealthy';
  const probe = check.lastProbe;
  const last = probe
    ? `${probe.reason}${probe.reason === 'Connected' || probe.durationMs > 0 ? ` ${round(probe.durationMs)} ms` : ''} via ${probe.method}${probe.success || !probe.message ? '' : `: ${probe.message}`}`
    : 'not probed yet';
  return [check.name, check.from, check.to, check.port === 0 ? 'dns' : `${check.port}/${check.protocol}`, check.expect, health, last];
}

/** Columns padded to their widest cell; the last one is not padded. */
function table(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return [header.join('  '), '(none)'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function ago(iso: string, now: number): string {
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}

function round(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

export const statusCommand: CommandFactory = createStatusCommand({ now: () => Date.now() });
