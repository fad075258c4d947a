import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import sinon from 'sinon';
import type { ProberInput, ProberOutput } from '../../../src/probes/prober.js';
import { ParsedFiles, parseHosts, parseResolvConf, runChecks } from '../../../src/probes/prober.js';
import { proberProgram } from '../../../src/probes/prober-program.js';
import type { LoopbackPorts } from '../../support/loopback.js';
import { loopbackPorts } from '../../support/loopback.js';

const execFileAsync = promisify(execFile);

describe('prober', () => {
  let ports: LoopbackPorts;
  let open: number;
  let closed: number;
  let directory: string;

  before(async () => {
    ports = await loopbackPorts();
    ({ open, closed } = ports);
    directory = await mkdtemp(join(tmpdir(), 'mooring-prober-'));
  });

  after(async () => {
    await ports.close();
    await rm(directory, { recursive: true, force: true });
  });

  const check = (id: string, host: string, port: number) => ({ id, host, port, timeoutMs: 2000 });
  const byId = (output: ProberOutput) => Object.fromEntries(output.results.map((result) => [result.id, result]));

  it('connects to an IP without resolving it, and tells refused from connected', async () => {
    const results = byId(await runChecks({ checks: [check('open', '127.0.0.1', open), check('closed', '127.0.0.1', closed)] }));
    assert.equal(results.open?.reason, 'Connected');
    assert.deepEqual(results.open?.resolvedAddresses, ['127.0.0.1']);
    assert.equal(results.closed?.reason, 'ConnectionRefused');
    assert.ok((results.closed?.durationMs ?? -1) >= 0);
  });

  it('measures a connection until it is accepted, not while it is watched for a close', async () => {
    const started = performance.now();
    const [result] = (await runChecks({ checks: [{ ...check('open', '127.0.0.1', open), closeGraceMs: 100 }] })).results;
    const elapsed = performance.now() - started;
    assert.equal(result?.reason, 'Connected');
    // The 100 ms watch follows the handshake, and a timer never fires more than a millisecond early.
    assert.ok((result?.durationMs ?? Infinity) <= elapsed - 99, `expected the 100 ms watch left out of ${result?.durationMs} ms (all took ${elapsed} ms)`);
  });

  it('does not count a connection the peer accepts and closes at once without a word, as docker-proxy does when its container refuses', async () => {
    const [result, atOnce] = (await runChecks({ checks: [{ ...check('proxy', '127.0.0.1', ports.closing), closeGraceMs: 100 }, check('at-once', '127.0.0.1', ports.closing)] })).results;
    assert.equal(result?.reason, 'ConnectionClosed');
    assert.equal(atOnce?.reason, 'Connected', 'without closeGraceMs, a connection counts once accepted');
    assert.match(result?.message ?? '', /^127\.0\.0\.1:\d+ accepted the connection and closed it \d+ ms later without sending anything$/);
  });

  it('counts a connection at once when the peer sends something, even if it then closes', async () => {
    const banner = createServer((socket) => socket.end('220 ready\r\n'));
    await new Promise<void>((resolve) => banner.listen(0, '127.0.0.1', resolve));
    try {
      const [result] = (await runChecks({ checks: [{ ...check('banner', '127.0.0.1', (banner.address() as AddressInfo).port), closeGraceMs: 1000 }] })).results;
      assert.deepEqual([result?.reason, result?.message], ['Connected', `connected to 127.0.0.1:${(banner.address() as AddressInfo).port}, which sent data`]);
    } finally {
      await new Promise((resolve) => banner.close(resolve));
    }
  });

  it("resolves through the source's hosts file first, as legacy links and extraHosts need", async () => {
    const hostsFile = join(directory, 'hosts');
    await writeFile(hostsFile, '127.0.0.1\tlocalhost\n# 10.0.0.9 db\n127.0.0.1\tdb 0123abcd mt-db  # a legacy link\n::1 ip6-localhost\n');
    const resolvConf = join(directory, 'resolv.conf');
    await writeFile(resolvConf, 'nameserver 127.0.0.11\noptions ndots:0\n');
    const results = byId(await runChecks({ hostsFile, resolvConf, checks: [check('db', 'DB', open), check('dns-only', 'mt-db', 0)] }));
    assert.deepEqual([results.db?.reason, results.db?.resolvedAddresses], ['Connected', ['127.0.0.1']]);
    assert.equal(results['dns-only']?.reason, 'Connected');
    assert.match(results['dns-only']?.message ?? '', /DNS-only/);
  });

  it('parses a hosts file once per content across rounds, and reads an edit in the next round', async () => {
    const hostsFile = join(directory, 'hosts-rounds');
    const files = new ParsedFiles();
    const parse = sinon.spy(files, 'hosts');
    await writeFile(hostsFile, '127.0.0.1\tdb\n');
    const first = await runChecks({ hostsFile, checks: [check('db', 'db', open)] }, files);
    first.results[0]?.resolvedAddresses.push('10.9.9.9');
    const second = await runChecks({ hostsFile, checks: [check('db', 'db', open)] }, files);
    assert.deepEqual(second.results[0]?.resolvedAddresses, ['127.0.0.1'], 'a result is not the shared table');
    await writeFile(hostsFile, '127.0.0.2\tdb\n');
    const edited = await runChecks({ hostsFile, checks: [{ ...check('db', 'db', 0) }] }, files);
    assert.deepEqual(edited.results[0]?.resolvedAddresses, ['127.0.0.2']);
    assert.equal(parse.callCount, 3);
    assert.equal(new Set(parse.returnValues).size, 2, 'the same content is parsed once');
  });

  it('starts its parses over past its limit', () => {
    const files = new ParsedFiles(2);
    const first = files.resolvConf('nameserver 10.0.0.1\n');
    files.resolvConf('nameserver 10.0.0.2\n');
    assert.equal(files.resolvConf('nameserver 10.0.0.1\n'), first);
    files.resolvConf('nameserver 10.0.0.3\n');
    assert.notEqual(files.resolvConf('nameserver 10.0.0.1\n'), first);
  });

  it("dials the target's own address among those a name resolves to, and none when it resolves only elsewhere", async () => {
    const hostsFile = join(directory, 'hosts-shared');
    await writeFile(hostsFile, '127.0.0.9\tdb\n127.0.0.1\tdb\n');
    const results = byId(
      await runChecks({
        hostsFile,
        checks: [{ ...check('ours', 'db', open), addresses: ['127.0.0.1'] }, { ...check('elsewhere', 'db', open), addresses: ['10.0.0.7'] }, { ...check('dns', 'db', 0), addresses: ['10.0.0.7'] }],
      }),
    );
    assert.deepEqual([results.ours?.reason, results.ours?.message], ['Connected', `connected to 127.0.0.1:${open}`]);
    assert.deepEqual([results.elsewhere?.reason, results.elsewhere?.message], ['ResolvedElsewhere', "db resolves to 127.0.0.9, 127.0.0.1, none of them the target's (10.0.0.7)"]);
    assert.equal(results.dns?.reason, 'ResolvedElsewhere');
  });

  it("reports DNSResolutionFailed when the container's resolv.conf has no nameserver", async () => {
    const resolvConf = join(directory, 'empty-resolv.conf');
    await writeFile(resolvConf, '# nothing\n');
    const [result] = (await runChecks({ resolvConf, checks: [check('x', 'nowhere', 80)] })).results;
    assert.equal(result?.reason, 'DNSResolutionFailed');
  });

  for (const file of ['hostsFile', 'resolvConf'] as const) {
    it(`reports ProbeError, not a network failure, when it cannot read the ${file}`, async () => {
      const [result] = (await runChecks({ [file]: join(directory, 'missing'), checks: [check('x', 'db', 80)] })).results;
      assert.equal(result?.reason, 'ProbeError');
      assert.match(result?.message ?? '', /cannot read .*missing/);
    });
  }

  it('still connects to an IP when the hosts file cannot be read: it needs no name lookup', async () => {
    const [result] = (await runChecks({ hostsFile: join(directory, 'missing'), checks: [check('x', '127.0.0.1', open)] })).results;
    assert.equal(result?.reason, 'Connected');
  });

  it('parses hosts files and resolv.conf as the C library does', () => {
    assert.deepEqual(Object.fromEntries(parseHosts('172.17.0.2 web abc123 # comment\n\nbogus line\n172.17.0.3 Web\n')), { web: ['172.17.0.2', '172.17.0.3'], abc123: ['172.17.0.2'] });
    assert.deepEqual(parseResolvConf('search example.com corp\nnameserver 127.0.0.11\nnameserver fe80::1%eth0\noptions ndots:2 timeout:1\n'), {
      nameservers: ['127.0.0.11', 'fe80::1%eth0'],
      search: ['example.com', 'corp'],
      ndots: 2,
    });
  });

  it('runs as a program: JSON checks on stdin, JSON results on stdout', async () => {
    const program = proberProgram();
    const child = spawn(process.execPath, program.nodeArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end(JSON.stringify({ checks: [check('a', '127.0.0.1', open)] } satisfies ProberInput));
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 0);
    assert.equal((JSON.parse(stdout) as ProberOutput).results[0]?.reason, 'Connected');
  });

  it('runs as `node -e` source with its input in the environment, as in a probe container', async () => {
    const source = await proberProgram().source();
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', source], {
      env: { MOORING_PROBE_INPUT: JSON.stringify({ checks: [check('a', '127.0.0.1', closed)] }) },
    });
    assert.equal((JSON.parse(stdout) as ProberOutput).results[0]?.reason, 'ConnectionRefused');
  });

  it('exits with 2 on bad input', async () => {
    await assert.rejects(execFileAsync(process.execPath, proberProgram().nodeArgs, { env: { MOORING_PROBE_INPUT: '{"nope":1}' } }), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? '', /expected an object with a "checks" list/);
      return true;
    });
  });
});
