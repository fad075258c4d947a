/**
 * mooring's prober: a small standalone program that runs inside a source
 * container's network namespace (under `nsenter`, or in an ephemeral container
 * that joins the namespace) and checks what that container can reach.
 *
 * It reads a {@link ProberInput} as JSON from the `MOORING_PROBE_INPUT`
 * environment variable or, when that is unset, from stdin, runs every check at
 * once and prints a {@link ProberOutput} as one JSON line.
 *
 * It imports nothing but Node's built-ins, because the probe-container method
 * runs this file's source with `node -e` in an image that only needs node.
 * The mooring process imports {@link runChecks} for host-side checks.
 */
import { Resolver, lookup } from 'node:dns/promises';
import { readFileSync, realpathSync } from 'node:fs';
import { connect, isIP } from 'node:net';
import { fileURLToPath } from 'node:url';

export type ProberReason =
  | 'Connected'
  | 'ConnectionRefused'
  | 'ConnectionClosed'
  | 'NetworkUnreachable'
  | 'Timeout'
  | 'DNSResolutionFailed'
  | 'ResolvedElsewhere'
  | 'ProbeError';

export interface ProberCheck {
  /** Echoed in the result. */
  id: string;
  /** A name to resolve, or an IP address (not resolved). */
  host: string;
  /** TCP port; 0 for a DNS-only check. */
  port: number;
  /** Budget for resolution and connection together. */
  timeoutMs: number;
  /**
   * The target container's addresses: the first of the resolved addresses
   * among them is dialled, and a name that resolves to none of them is
   * ResolvedElsewhere. Unset: the first resolved address.
   */
  addresses?: string[];
  /**
   * How long an accepted connection is watched for the peer closing it without
   * a byte, which makes it ConnectionClosed. Unset: it counts once accepted.
   */
  closeGraceMs?: number;
}

export interface ProberInput {
  /**
   * The source container's hosts file, consulted first as its resolver does
   * (legacy links and `extraHosts` live there). Unset: no hosts file.
   */
  hostsFile?: string;
  /**
   * The source container's resolv.conf, whose nameservers are queried (Docker's
   * embedded DNS, 127.0.0.11, on user-defined networks). Unset: the system
   * resolver of the process itself, for checks from the host.
   */
  resolvConf?: string;
  checks: ProberCheck[];
}

export interface ProberResult {
  id: string;
  reason: ProberReason;
  resolvedAddresses: string[];
  durationMs: number;
  message: string;
}

export interface ProberOutput {
  results: ProberResult[];
}

/** Connection errors that mean the address answered with a reset: nothing listens on the port. */
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET']);
/**
 * Connection errors that mean no packet got to a listener: no route from the
 * source (ENETUNREACH, e.g. `networkMode: none`), no host answering at the
 * address (EHOSTUNREACH), or a firewall of the source's (EACCES, EPERM).
 */
const UNREACHABLE_CODES = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EACCES', 'EPERM']);
/** Resolver answers that mean "no such name" or "no answer", as opposed to a broken prober. */
const DNS_FAILURE_CODES = new Set(['ENOTFOUND', 'ENODATA', 'ESERVFAIL', 'EREFUSED', 'ETIMEOUT', 'ECONNREFUSED', 'ENONAME', 'EBADRESP', 'ECANCELLED', 'EAI_AGAIN']);

class CheckFailure extends Error {
  constructor(
    readonly reason: ProberReason,
    message: string,
  ) {
    super(message);
  }
}

interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

type HostsTable = Map<string, string[]>;

/**
 * The hosts files and resolv.confs parsed so far, by content. A probe thread
 * reads every source's two files in every round, and they seldom change:
 * each content is parsed once, and a round only reads. Starts over past
 * `limit` contents, a few per source container.
 */
export class ParsedFiles {
  readonly #hosts = new Map<string, HostsTable>();
  readonly #resolvConfs = new Map<string, ResolvConf>();

  constructor(readonly limit = 4096) {}

  hosts(text: string): HostsTable {
    return this.#parsed(this.#hosts, text, parseHosts);
  }

  resolvConf(text: string): ResolvConf {
    return this.#parsed(this.#resolvConfs, text, parseResolvConf);
  }

  #parsed<T>(cache: Map<string, T>, text: string, parse: (text: string) => T): T {
    let parsed = cache.get(text);
    if (parsed === undefined) {
      if (cache.size >= this.limit) cache.clear();
      parsed = parse(text);
      cache.set(text, parsed);
    }
    return parsed;
  }
}

/** Runs every check concurrently; never throws, every check gets a result. `files` keeps parses between calls. */
export async function runChecks(input: ProberInput, files = new ParsedFiles()): Promise<ProberOutput> {
  const hosts = input.hostsFile === undefined ? new Map<string, string[]>() : readParsed(input.hostsFile, (text) => files.hosts(text));
  const resolvConf = input.resolvConf === undefined ? undefined : readParsed(input.resolvConf, (text) => files.resolvConf(text));
  const results = await Promise.all(input.checks.map((check) => runCheck(check, hosts, resolvConf)));
  return { results };
}

async function runCheck(check: ProberCheck, hosts: HostsTable | Error, resolvConf: ResolvConf | Error | undefined): Promise<ProberResult> {
  const started = performance.now();
  const deadline = started + check.timeoutMs;
  let resolvedAddresses: string[] = [];
  /** `endedAt`: when the answer came, before any watching for a close. */
  const result = (reason: ProberReason, message: string, endedAt = performance.now()): ProberResult => ({
    id: check.id,
    reason,
    resolvedAddresses,
    durationMs: Math.round((endedAt - started) * 1000) / 1000,
    message,
  });
  try {
    resolvedAddresses = await resolve(check.host, hosts, resolvConf, check.timeoutMs);
    const address = check.addresses === undefined ? resolvedAddresses[0] : resolvedAddresses.find((candidate) => check.addresses?.includes(candidate));
    if (address === undefined) {
      const theirs = check.addresses?.join(', ') ?? '';
      throw new CheckFailure('ResolvedElsewhere', `${check.host} resolves to ${resolvedAddresses.join(', ')}, none of them the target's (${theirs})`);
    }
    if (check.port === 0) return result('Connected', `${check.host} resolves to ${resolvedAddresses.join(', ')} (DNS-only check)`);
    const connected = await connectTcp(address, check.port, deadline, check.closeGraceMs ?? 0);
    return result('Connected', connected.message, connected.at);
  } catch (error) {
    if (error instanceof CheckFailure) return result(error.reason, error.message);
    return result('ProbeError', `prober failed: ${errorMessage(error)}`);
  }
}

async function resolve(host: string, hosts: HostsTable | Error, resolvConf: ResolvConf | Error | undefined, timeoutMs: number): Promise<string[]> {
  if (isIP(host)) return [host];
  // Docker always provides the container's hosts file: not reading it is the prober's failure, not the name's.
  if (hosts instanceof Error) throw hosts;
  const fromHosts = hosts.get(host.toLowerCase());
  // A copy: the table is shared with later rounds (ParsedFiles).
  if (fromHosts) return [...fromHosts];
  if (resolvConf instanceof Error) throw resolvConf;
  const addresses = resolvConf === undefined ? await systemLookup(host, timeoutMs) : await queryNameservers(host, resolvConf, timeoutMs);
  if (addresses.length === 0) throw new CheckFailure('DNSResolutionFailed', `${host} has no address`);
  return addresses;
}

async function systemLookup(host: string, timeoutMs: number): Promise<string[]> {
  const answer = lookup(host, { all: true }).then((entries) => entries.map((entry) => entry.address));
  return withTimeout(answer, timeoutMs, () => new CheckFailure('DNSResolutionFailed', `resolving ${host}: no answer within ${timeoutMs} ms`)).catch(
    (error: unknown) => {
      throw dnsFailure(host, error);
    },
  );
}

/**
 * Queries the container's nameservers directly. The name is tried as given
 * first and then with each search domain: Docker's embedded DNS answers
 * container names and aliases as given, and trying them first avoids waiting
 * on upstream servers for names like `db.example.com`.
 */
async function queryNameservers(host: string, conf: ResolvConf, timeoutMs: number): Promise<string[]> {
  if (conf.nameservers.length === 0) throw new CheckFailure('DNSResolutionFailed', `resolving ${host}: the container's resolv.conf lists no nameserver`);
  const dots = host.replace(/\.$/, '').split('.').length - 1;
  const candidates = host.endsWith('.') || dots >= conf.ndots ? [host] : [host, ...conf.search.map((domain) => `${host}.${domain}`)];
  const resolver = new Resolver({ timeout: Math.max(1, Math.round(timeoutMs)), tries: 1 });
  resolver.setServers(conf.nameservers);
  // Once timed out, ask no more: a thread of the setns method may already be in another namespace.
  let abandoned = false;
  const work = (async () => {
    let lastError: unknown;
    for (const name of candidates) {
      if (abandoned) break;
      try {
        const addresses = await queryOne(resolver, name);
        if (addresses.length > 0) return addresses;
      } catch (error) {
        lastError = error;
      }
    }
    throw dnsFailure(host, lastError);
  })();
  try {
    return await withTimeout(work, timeoutMs, () => new CheckFailure('DNSResolutionFailed', `resolving ${host}: no answer within ${timeoutMs} ms`));
  } finally {
    abandoned = true;
    resolver.cancel();
  }
}

/**
 * A records first, as most clients prefer them; AAAA only when there is no A.
 * One after the other: asking both at once doubled the queries of every
 * check, and the AAAA answers (none, on most networks) were errors to build and drop.
 */
async function queryOne(resolver: Resolver, name: string): Promise<string[]> {
  let v4Error: unknown;
  try {
    const v4 = await resolver.resolve4(name);
    if (v4.length > 0) return v4;
  } catch (error) {
    v4Error = error;
  }
  const v4Failed = v4Error !== undefined && !isDnsCode(v4Error, 'ENODATA');
  let v6: string[];
  try {
    v6 = await resolver.resolve6(name);
  } catch (error) {
    throw v4Failed ? v4Error : error;
  }
  if (v6.length > 0) return v6;
  if (v4Failed) throw v4Error;
  return [];
}

function dnsFailure(host: string, error: unknown): Error {
  if (error instanceof CheckFailure) return error;
  const code = (error as { code?: string } | undefined)?.code;
  if (error === undefined || (code !== undefined && DNS_FAILURE_CODES.has(code))) {
    return new CheckFailure('DNSResolutionFailed', `resolving ${host}: ${code ?? 'no address'}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function isDnsCode(error: unknown, code: string): boolean {
  return (error as { code?: string } | undefined)?.code === code;
}

/**
 * Connects, then watches the connection for up to `graceMs` (within the
 * budget): a peer that closes it before sending anything did not answer.
 * Resolves, for a connection that counts, to its message and when it was accepted.
 */
function connectTcp(address: string, port: number, deadline: number, graceMs: number): Promise<{ message: string; at: number }> {
  const target = hostPort(address, port);
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: address, port });
    const started = performance.now();
    const budget = Math.max(1, deadline - started);
    let connectedAt: number | undefined;
    let timer = setTimeout(() => settle(new CheckFailure('Timeout', `no answer from ${target} within ${Math.round(budget)} ms`)), budget);
    const settle = (outcome: string | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolvePromise({ message: outcome, at: connectedAt ?? started });
    };
    const closedEarly = () => {
      const after = Math.round(performance.now() - (connectedAt ?? started));
      settle(new CheckFailure('ConnectionClosed', `${target} accepted the connection and closed it ${after} ms later without sending anything`));
    };
    socket.once('connect', () => {
      connectedAt = performance.now();
      clearTimeout(timer);
      const watchMs = Math.min(graceMs, deadline - connectedAt);
      if (watchMs > 0) timer = setTimeout(() => settle(`connected to ${target}`), watchMs);
      else settle(`connected to ${target}`);
    });
    socket.once('data', () => settle(`connected to ${target}, which sent data`));
    socket.once('end', closedEarly);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      if (connectedAt !== undefined) closedEarly();
      else if (REFUSED_CODES.has(code)) settle(new CheckFailure('ConnectionRefused', `${target}: ${error.message}`));
      else if (UNREACHABLE_CODES.has(code)) settle(new CheckFailure('NetworkUnreachable', `${target}: ${error.message}`));
      else if (code === 'ETIMEDOUT') settle(new CheckFailure('Timeout', `${target}: ${error.message}`));
      else settle(error);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The parsed file, or the error that becomes ProbeError for every check that
 * needs it. Read synchronously: these are two small files read before any
 * check starts, and the prober runs on its own thread or process; reading
 * them through the thread pool (open, stat, read, close) was the largest
 * part of a probe thread's CPU per source.
 */
function readParsed<T>(path: string, parse: (text: string) => T): T | Error {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return new Error(`cannot read ${path}: ${errorMessage(error)}`);
  }
}

/** Name (lower case) → addresses in file order, as the C library reads /etc/hosts. */
export function parseHosts(text: string): HostsTable {
  const table: HostsTable = new Map();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || isIP(address) === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      const addresses = table.get(key) ?? [];
      if (!addresses.includes(address)) addresses.push(address);
      table.set(key, addresses);
    }
  }
  return table;
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1 };
  for (const line of text.split('\n')) {
    const [keyword, ...values] = line.replace(/[#;].*/, '').trim().split(/\s+/);
    if (keyword === 'nameserver' && values[0] && isIP(values[0].replace(/%.*/, ''))) conf.nameservers.push(values[0]);
    else if (keyword === 'search' || keyword === 'domain') conf.search = values.filter(Boolean);
    else if (keyword === 'options') {
      for (const option of values) {
        const ndots = /^ndots:(\d+)$/.exec(option);
        if (ndots) conf.ndots = Number(ndots[1]);
      }
    }
  }
  return conf;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The program: input from the environment or stdin, output on stdout; exit 2 on bad input. */
export async function main(): Promise<void> {
  let input: ProberInput;
  try {
    input = JSON.parse(process.env.MOORING_PROBE_INPUT ?? (await readStdin())) as ProberInput;
    if (!Array.isArray(input.checks)) throw new Error(`expected an object with a "checks" list, got ${JSON.stringify(input).slice(0, 100)}`);
  } catch (error) {
    process.stderr.write(`mooring prober: bad input: ${errorMessage(error)}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`${JSON.stringify(await runChecks(input))}\n`);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();

/** mooring's `errorMessage` (src/errors.ts), repeated: this program imports nothing but Node's built-ins. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
