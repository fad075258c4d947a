/**
 * The engine contract, run against the fake unit tests use and against the
 * Docker adapter on the local engine: a case that holds for one must hold for both.
 */
import { DockerEngine } from '../../src/engine/docker/index.js';
import { silentLogger } from '../../src/log.js';
import { FakeEngine } from '../support/fake-engine.js';
import { TEST_IMAGE, docker, requireEngine } from '../support/docker.js';
import { engineContract } from './engine-contract.js';

engineContract('FakeEngine', async () => {
  const engine = new FakeEngine({ images: [TEST_IMAGE] });
  return {
    engine,
    kill: async (name) => engine.setStatus(name, 'exited', 137, { listLags: true }),
    pause: async (name) => engine.setStatus(name, 'paused'),
  };
});

engineContract('DockerEngine', async (context) => {
  await requireEngine(context);
  return {
    engine: new DockerEngine({ env: process.env, logger: silentLogger() }),
    kill: async (name) => void (await docker('kill', '--signal', 'KILL', name)),
    pause: async (name) => void (await docker('pause', name)),
  };
});
