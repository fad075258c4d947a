import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { CliIo, CommandFactory } from './command.js';
import { EXIT, writeLine } from './command.js';
import type { ReachabilityStatus } from '../probes/model.js';
import type { Condition, ResourceStatus, Status } from '../status/model.js';

export interface StatusCommandDeps {
  /** For "written 5s ago". */
  now(): number;
}

/** `mooring status`: the daemon's status file as tables for people, or as it is with `-o json`. */
export function createStatusCommand(deps: StatusCommandDeps): CommandFactory {
  return (io, done) => {
    const command: Command = new Command('status')
      .description('Show what the daemon last wrote: sync state, resources, reachability')
      .option('--status <file>', 'status file that `mooring run` writes', 'status.json')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async () => {
        const options = command.opts<{ status: string; output: 'text' | 'json' }>();
        const status = await readStatus(io, options.status);
        if (status === undefined) return done(EXIT.failed);
        io.stdout.write(options.output === 'json' ? status.text : formatStatus(status.parsed, deps.now()));
        done(EXIT.ok);
      });
    return command;
  };
}

async function readStatus(io: CliIo, file: string): Promise<{ text: string; parsed: Status } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
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

  if (status.volumes) {
    const rows = status.volumes.map((volume) => [volume.name, volume.state, volume.driver ?? '', volume.usedBy.join(', ') || '-', volume.message ?? '']);
    lines.push('', ...table(['VOLUME', 'STATE', 'DRIVER', 'USED BY', 'DETAIL'], rows));
  }
  const mounted = status.resources.filter((resource) => resource.mounts);
  if (mounted.length > 0) lines.push('', ...table(['CONTAINER', 'MOUNTS'], mounted.map((resource) => [resource.name, resource.mounts!.join(', ')])));

  lines.push('', ...table(['CHECK', 'FROM', 'TO', 'PORT', 'EXPECT', 'HEALTH', 'LAST PROBE'], status.reachability.map(reachabilityRow)));
  const summary = status.reachabilitySummary;
  lines.push(`${summary.total} checks: ${summary.healthy} healthy, ${summary.unhealthy} unhealthy, ${summary.unknown} unknown`);
  return `${lines.join('\n')}\n`;
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
