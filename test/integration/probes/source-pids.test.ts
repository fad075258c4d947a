/**
 * A round inspects a source container only when it has not seen its process
 * yet, or that process is gone: at hundreds of sources, one inspection per
 * source and round was most of what a round asked the engine.
 */
import assert from 'node:assert/strict';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import { silentLogger } from '../../../src/log.js';
import { ProbeScheduler } from '../../../src/probes/scheduler.js';
import { TEST_IMAGE, docker, removeByName, requireEngine, uniqueName } from '../../support/docker.js';
import { container, desiredState, link } from '../../unit/reconcile/fixtures.js';

describe('source process ids across probe rounds (engine)', function () {
  this.timeout(120_000);
  const names = { network: uniqueName('pids'), web: uniqueName('pids-web'), db: uniqueName('pids-db') };
  const inspected: string[] = [];
  let scheduler: ProbeScheduler;

  before(async function () {
    await requireEngine(this);
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') throw new Error('expected to run as root under CI=true: entering network namespaces needs it');
      this.skip();
    }
    await docker('network', 'create', names.network);
    await docker('run', '-d', '--name', names.db, '--network', names.network, '--network-alias', 'database', TEST_IMAGE, 'httpd', '-f', '-p', '5432');
    await docker('run', '-d', '--name', names.web, '--network', names.network, TEST_IMAGE, 'sleep', '3600');
    const engine = new DockerEngine({ logger: silentLogger() });
    const inspect = engine.inspectContainer.bind(engine);
    engine.inspectContainer = (id) => {
      inspected.push(id);
      return inspect(id);
    };
    scheduler = new ProbeScheduler({ engine, logger: silentLogger(), instance: uniqueName('pids'), jitterMs: 0, method: 'setns' });
    scheduler.setDesired(desiredState([container(names.db), container(names.web), link('web-db', { from: names.web, to: names.db, alias: 'database', network: names.network, ports: [5432] })]));
  });

  after(async () => {
    await scheduler?.stop();
    await removeByName({ containers: [names.web, names.db], networks: [names.network] });
  });

  const reason = () => scheduler.snapshot()[0]?.lastProbe?.reason;

  it('inspects a source once, then probes from its process without asking the engine', async () => {
    await scheduler.runRound();
    assert.equal(reason(), 'Connected');
    assert.equal(inspected.length, 1);
    await scheduler.runRound();
    await scheduler.runRound();
    assert.equal(reason(), 'Connected');
    assert.equal(inspected.length, 1, 'the pid from the first round is still the container\'s');
  });

  it('inspects it again once its process is gone: a restarted source is probed from its new process', async () => {
    await docker('restart', '-t', '0', names.web);
    await scheduler.runRound();
    assert.equal(inspected.length, 2);
    assert.equal(reason(), 'Connected');
  });
});
