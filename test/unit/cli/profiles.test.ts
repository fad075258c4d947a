/** `--profile` on every command that reads the manifests: validate, plan, apply, run and convert. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sinon from 'sinon';
import { main } from '../../../src/cli/main.js';
import { createApplyCommand } from '../../../src/cli/apply.js';
import { createPlanCommand } from '../../../src/cli/plan.js';
import { createRunCommand } from '../../../src/cli/run.js';
import type { Status } from '../../../src/status/model.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { captureIo, runCommand } from '../../support/cli-io.js';

const COMPOSE = `services:
  web:
    image: mooring/busybox:latest
    command: sleep 3600
    depends_on: [db]
  db:
    image: mooring/busybox:latest
    command: sleep 3600
    profiles: [data]
  debug:
    image: mooring/busybox:latest
    command: sleep 3600
    profiles: [debug]
`;

const INACTIVE = 'shop/compose.yaml:5:18: service web: depends_on[0]: service "db" does not run: its profiles (data) are not active (none is active); --profile data would enable it';

describe('mooring --profile', () => {
  let directory: string;
  let engine: FakeEngine;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-profiles-'));
    await mkdir(join(directory, 'shop'));
    await writeFile(join(directory, 'shop', 'compose.yaml'), COMPOSE);
    engine = new FakeEngine();
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    const { io, output } = captureIo(env);
    const code = await main(args, io);
    return { code, ...output };
  }

  const deps = () => ({ openEngine: sinon.fake.returns(engine), signals: new EventEmitter(), exit: sinon.fake() });

  it('validate: a dependency on an inactive profile is an error at its place; --profile enables it', async () => {
    const without = await cli(['validate', directory]);
    assert.equal(without.code, 1);
    assert.equal(without.stderr.split('\n')[0], INACTIVE);
    const withProfile = await cli(['validate', directory, '--profile', 'data']);
    assert.deepEqual(withProfile, { code: 0, stdout: `${directory}: valid (1 file, 4 documents)\n`, stderr: '' });
  });

  it('plan and apply take --profile, repeated', async () => {
    const instance = `profiles-${randomBytes(4).toString('hex')}`;
    const planned = await runCommand(createPlanCommand(deps()), ['-m', directory, '--instance', instance, '--profile', 'data', '--profile', 'debug']);
    assert.equal(planned.code, 2, planned.stderr);
    for (const name of ['shop-web-1', 'shop-db-1', 'shop-debug-1']) assert.match(planned.stdout, new RegExp(`^\\+ create container ${name}: `, 'm'));

    const applied = await runCommand(createApplyCommand(deps()), ['-m', directory, '--instance', instance, '--profile', 'data']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.deepEqual([engine.container('shop-db-1')?.status, engine.container('shop-web-1')?.status, engine.container('shop-debug-1')], ['running', 'running', undefined]);

    const refused = await runCommand(createApplyCommand(deps()), ['-m', directory, '--instance', instance]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^${INACTIVE.replace(/[()[\]]/g, '\\$&')}$`, 'm'));
  });

  it('run: the daemon loads the profiles given', async () => {
    const signals = new EventEmitter();
    const statusFile = join(directory, 'status.json');
    const running = runCommand(createRunCommand({ openEngine: sinon.fake.returns(engine), signals, stopped: () => undefined, exit: sinon.fake() }), [
      directory,
      '--instance',
      `profiles-${randomBytes(4).toString('hex')}`,
      '--status',
      statusFile,
      '--profile',
      'data',
    ]);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = JSON.parse(await readFile(statusFile, 'utf8').catch(() => 'null')) as Status | null;
      if (status?.sync.state === 'Synced') break;
      if (Date.now() > deadline) assert.fail('timed out waiting for a synced status');
      await sleep(20);
    }
    signals.emit('SIGTERM', 'SIGTERM');
    assert.equal((await running).code, 0);
    assert.deepEqual([engine.container('shop-db-1')?.status, engine.container('shop-web-1')?.status, engine.container('shop-debug-1')], ['running', 'running', undefined]);
  });

  it('convert: --profile replaces COMPOSE_PROFILES, as in Compose', async () => {
    const converted = await cli(['convert', directory, '--profile', 'data'], { COMPOSE_PROFILES: 'debug' });
    assert.equal(converted.code, 0, converted.stderr);
    assert.match(converted.stdout, /name: shop-db-1/);
    assert.doesNotMatch(converted.stdout, /shop-debug-1/);
    const fromEnv = await cli(['convert', directory], { COMPOSE_PROFILES: 'data,debug' });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /name: shop-debug-1/);
  });

  it('refuses a profile name Compose would refuse, and every command documents the flag', async () => {
    const refused = await cli(['validate', directory, '--profile', 'no spaces']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /option '--profile <name>' argument 'no spaces' is invalid\. expected a profile name/);
    for (const command of ['run', 'validate', 'plan', 'apply', 'convert']) {
      const help = await cli([command, '--help']);
      const text = help.stdout.replace(/\s+/g, ' ');
      assert.ok(text.includes('--profile <name> enable a Compose profile; repeatable, and any replaces COMPOSE_PROFILES, as in Compose (default: $COMPOSE_PROFILES)'), `${command}: ${help.stdout}`);
    }
  });
});
