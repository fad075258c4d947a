import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sinon from 'sinon';
import type { CommandFactory } from '../../../src/cli/command.js';
import type { ApplyCommandDeps } from '../../../src/cli/apply.js';
import { createApplyCommand } from '../../../src/cli/apply.js';
import { createPlanCommand } from '../../../src/cli/plan.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { runCommand } from '../../support/cli-io.js';
import { acquireInstanceLock } from '../../../src/controller/lock.js';

const MANIFESTS = `
apiVersion: mooring/v1
kind: Network
metadata: { name: front }
spec: {}
---
apiVersion: mooring/v1
kind: Container
metadata: { name: web }
spec:
  image: mooring/busybox:latest
  command: httpd -f -p 80 -h /
  networks: [{ name: front, aliases: [www] }]
---
apiVersion: mooring/v1
kind: PortPublish
metadata: { name: web-http }
spec: { container: web, containerPort: 80, hostPort: 8080 }
`;

describe('mooring plan and mooring apply', () => {
  let directory: string;
  let engine: FakeEngine;
  let deps: ApplyCommandDeps & { openEngine: sinon.SinonSpy; exit: sinon.SinonSpy };

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-cli-'));
    await writeFile(join(directory, 'app.yaml'), MANIFESTS);
    engine = new FakeEngine();
    deps = { openEngine: sinon.fake.returns(engine), signals: new EventEmitter(), exit: sinon.fake() };
  });

  afterEach(() => rm(directory, { recursive: true, force: true }));

  const runWith = (factory: (deps: ApplyCommandDeps) => CommandFactory, args: string[]) => runCommand(factory(deps), args);
  const run = (factory: (deps: ApplyCommandDeps) => CommandFactory, ...args: string[]) => runWith(factory, ['-m', directory, '--instance', 'cli-test', ...args]);
  const plan = (...args: string[]) => run(createPlanCommand, ...args);
  const apply = (...args: string[]) => run(createApplyCommand, ...args);

  it('plan prints the changes as a diff and exits 2; after apply it exits 0', async () => {
    const before = await plan();
    assert.equal(before.code, 2, before.stderr);
    assert.match(before.stdout, /^\+ create network front: declared in app\.yaml and not present$/m);
    assert.match(before.stdout, /^\+ create container web: /m);
    assert.match(before.stdout, /^Plan: 2 to create, 1 to start or stop\.$/m);
    assert.deepEqual(engine.mutatingCalls(), [], 'plan changes nothing');

    const applied = await apply();
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.match(applied.stdout, /^\+ create container web: done \(\d+ ms\)$/m);
    assert.match(applied.stdout, /^Converged\.$/m);

    const after = await plan();
    assert.equal(after.code, 0);
    assert.equal(after.stdout, 'Nothing to do: the engine matches the manifests.\n');
  });

  it('apply --state-dir takes a relative directory from where it runs: the engine gets absolute secret paths', async () => {
    await writeFile(join(directory, 'pw.txt'), 'hunter2');
    await writeFile(join(directory, 'secret.yaml'), 'apiVersion: mooring/v1\nkind: Secret\nmetadata: { name: pw }\nspec: { file: pw.txt }\n---\n' +
      'apiVersion: mooring/v1\nkind: Container\nmetadata: { name: reader }\nspec: { image: mooring/busybox:latest, secrets: [pw] }\n');
    const stateDir = join(directory, 'state');
    const applied = await apply('--state-dir', relative(process.cwd(), stateDir));
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(engine.containerConfig('reader')?.mounts?.map((mount) => mount.source), [join(stateDir, 'secrets', 'cli-test', 'reader', 'run-secrets')]);
  });

  it('takes the manifests directory as an argument too, as `mooring plan manifests`', async () => {
    const empty = join(directory, 'empty');
    const result = await runWith(createPlanCommand, [empty, '--instance', 'cli-test']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`the manifests directory ${empty} does not exist`));
  });

  it('refuses two different manifests directories, as the argument and with -m, rather than pick one', async () => {
    for (const factory of [createPlanCommand, createApplyCommand]) {
      const result = await runWith(factory, [join(directory, 'other'), '-m', directory]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `error: two manifests directories: ${join(directory, 'other')} as the argument and ${directory} with -m; give one of them\n`);
    }
    assert.equal(deps.openEngine.callCount, 0);
    // The same directory twice is no choice.
    assert.equal((await runWith(createPlanCommand, [`${directory}/`, '-m', directory])).code, 2);
  });

  it('apply twice: the second makes no mutating engine call', async () => {
    await apply();
    engine.clearCalls();
    const second = await apply();
    assert.equal(second.code, 0);
    assert.deepEqual(engine.mutatingCalls(), []);
  });

  it('recreate shows the changed fields', async () => {
    await apply();
    await writeFile(join(directory, 'app.yaml'), MANIFESTS.replace('hostPort: 8080', 'hostPort: 8081'));
    const result = await plan();
    assert.equal(result.code, 2);
    assert.match(result.stdout, /^~ recreate container web: spec changed \(ports: 0\.0\.0\.0:8080:80\/tcp → 0\.0\.0\.0:8081:80\/tcp\)$/m);
  });

  it('--output json gives the plan and the pass as JSON', async () => {
    const planned = JSON.parse((await plan('--output', 'json')).stdout) as { changes: boolean; actions: { id: string }[]; problems: unknown[] };
    assert.equal(planned.changes, true);
    assert.deepEqual(planned.actions.map((action) => action.id), ['create-network:front', 'pull-image:web', 'create-container:web', 'start-container:web']);
    const applied = JSON.parse((await apply('-o', 'json')).stdout) as { converged: boolean; outcomes: { id: string; ok: boolean }[]; errors: unknown[] };
    assert.equal(applied.converged, true);
    assert.ok(applied.outcomes.every((outcome) => outcome.ok));
    assert.deepEqual(applied.errors, []);
  });

  it('invalid manifests: prints the errors, exits 1 and touches nothing', async () => {
    await writeFile(join(directory, 'bad.yaml'), 'apiVersion: mooring/v1\nkind: Container\nmetadata: { name: bad }\nspec: { imagee: x }\n');
    for (const command of [plan, apply]) {
      const result = await command();
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^bad\.yaml:\d+:\d+: /m);
      assert.match(result.stderr, /nothing was changed/);
    }
    assert.equal(deps.openEngine.callCount, 0);
  });

  it('a conflict is an error: plan and apply exit 1 and say why', async () => {
    engine.seedContainer({ name: 'web' });
    const planned = await plan();
    assert.equal(planned.code, 1);
    assert.match(planned.stdout, /^! Container\/web: the name web is taken by a container mooring does not manage; it is left untouched$/m);
    const applied = await apply();
    assert.equal(applied.code, 1);
    assert.match(applied.stdout, /^Not converged: 1 resource with errors\.$/m);
    assert.equal(engine.container('web')?.labels['io.mooring.instance'], undefined);
  });

  it('an empty directory prunes nothing without --allow-empty', async () => {
    await apply();
    await rm(join(directory, 'app.yaml'));
    const refused = await plan();
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^! not pruning: no manifest declares anything, .*--allow-empty to remove them$/m);
    assert.match(refused.stdout, /^Plan: no changes\. Pruning is refused \(see above\), so nothing is removed, and nothing else changes\.$/m);
    assert.equal((await apply()).code, 1);
    assert.equal(engine.container('web')?.status, 'running');

    const allowed = await apply('--allow-empty');
    assert.equal(allowed.code, 0);
    assert.equal(engine.container('web'), undefined);
    assert.equal(engine.network('front'), undefined);
  });

  it('a missing directory is an empty desired state, with a note', async () => {
    await rm(directory, { recursive: true });
    const result = await plan();
    assert.equal(result.code, 0);
    assert.match(result.stderr, /does not exist/);
  });

  it('refuses a malformed instance name', async () => {
    const result = await plan('--instance', 'no spaces');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /expected a name/);
  });

  describe('apply, interrupted', () => {
    /** Makes the engine's first `createNetwork` wait until `release()`; `entered` resolves once it waits. */
    function holdCreateNetwork(): { entered: Promise<void>; release: () => void } {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let enter!: () => void;
      const entered = new Promise<void>((resolve) => (enter = resolve));
      const createNetwork = engine.createNetwork.bind(engine);
      sinon.stub(engine, 'createNetwork').callsFake(async (config) => {
        enter();
        await released;
        return createNetwork(config);
      });
      return { entered, release };
    }
    const signal = (name: NodeJS.Signals) => (deps.signals as EventEmitter).emit(name, name);

    it('a first interrupt finishes what has begun, begins nothing more, says what was done and what was not, and exits 130', async () => {
      const held = holdCreateNetwork();
      const applying = apply();
      await held.entered;
      signal('SIGINT');
      held.release();
      const result = await applying;
      assert.equal(result.code, 130, result.stdout + result.stderr);
      assert.match(result.stderr, /^mooring: SIGINT: finishing what has begun, beginning nothing more; interrupt again to exit now$/m);
      assert.match(result.stdout, /^\+ create network front: done \(\d+ ms\)$/m);
      assert.match(result.stdout, /^\+ create container web: skipped, mooring is stopping$/m);
      assert.match(result.stdout, /^> start container web: skipped, mooring is stopping$/m);
      assert.match(result.stdout, /^Interrupted \(SIGINT\): 2 actions done, 2 not begun\. Run `mooring apply` again to finish\.$/m);
      assert.equal(engine.container('web'), undefined);
      assert.equal(deps.exit.callCount, 0);
      assert.equal((deps.signals as EventEmitter).listenerCount('SIGINT'), 0, 'the handlers are removed');
    });

    it('a second interrupt exits at once with 128 + the signal number', async () => {
      const held = holdCreateNetwork();
      const applying = apply();
      await held.entered;
      signal('SIGINT');
      signal('SIGTERM');
      assert.deepEqual(deps.exit.args, [[143]]);
      held.release();
      await applying;
    });
  });

  describe('apply while a daemon runs the instance', () => {
    it('is refused with the daemon\'s pid, and changes nothing; --force applies', async () => {
      const instance = `cli-lock-${randomBytes(4).toString('hex')}`;
      const lock = await acquireInstanceLock({ instance, pid: 4242, startedAt: '2024-05-01T12:00:00.000Z', manifestsDirectory: '/etc/mooring/manifests', statusFile: '/var/lib/mooring/status.json' });
      try {
        const refused = await apply('--instance', instance);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, new RegExp(`^mooring: a mooring daemon runs instance "${instance}" on this host \\(pid 4242, .*\\), and its passes would race this apply: .*or pass --force$`, 'm'));
        assert.deepEqual(engine.calls, []);
        const forced = await apply('--instance', instance, '--force');
        assert.equal(forced.code, 0, forced.stdout + forced.stderr);
        assert.equal(engine.container('web')?.status, 'running');
      } finally {
        await lock.release();
      }
    });
  });
});
