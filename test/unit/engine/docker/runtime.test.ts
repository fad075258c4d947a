import assert from 'node:assert/strict';
import type { HostConfig } from 'dockerode';
import { listedState, observedRuntime, runtimeHostConfig, updateBody } from '../../../../src/engine/docker/runtime.js';

const MiB = 2 ** 20;

describe('engine mapping of the runtime options', () => {
  it('reads health and the exit code from the list\'s status line', () => {
    assert.deepEqual(listedState('Up 2 minutes (healthy)'), { health: 'healthy' });
    assert.deepEqual(listedState('Up 3 seconds (health: starting)'), { health: 'starting' });
    assert.deepEqual(listedState('Up 1 hour (unhealthy)'), { health: 'unhealthy' });
    assert.deepEqual(listedState('Exited (0) 5 seconds ago'), { exitCode: 0 });
    assert.deepEqual(listedState('Exited (137) About a minute ago'), { exitCode: 137 });
    assert.deepEqual(listedState('Up 1 second'), {});
    assert.deepEqual(listedState('Created'), {});
    assert.deepEqual(listedState(undefined), {});
  });

  it('sends nothing for a container without runtime options', () => {
    assert.deepEqual(runtimeHostConfig(undefined), {});
    assert.deepEqual(runtimeHostConfig({}), {});
  });

  it('sends an update with the swap limit the engine would have set at creation, so a raised memory limit is accepted', () => {
    assert.deepEqual(updateBody({ resources: { memory: 512 * MiB } }), { Memory: 512 * MiB, MemorySwap: 1024 * MiB });
    assert.deepEqual(updateBody({ resources: { memory: 512 * MiB, memorySwap: -1 } }), { Memory: 512 * MiB, MemorySwap: -1 });
    assert.deepEqual(updateBody({ resources: { cpus: 1.5 }, restartPolicy: 'always' }), { NanoCpus: 1.5e9, RestartPolicy: { Name: 'always' } });
  });

  it('reads what an update changes from an inspection: unset limits (0) are left out', () => {
    const hostConfig = { Memory: 256 * MiB, MemorySwap: 512 * MiB, NanoCpus: 5e8, CpuShares: 0, PidsLimit: null, CpusetCpus: '', RestartPolicy: { Name: '' } };
    assert.deepEqual(observedRuntime(hostConfig as unknown as HostConfig), {
      resources: { memory: 256 * MiB, memorySwap: 512 * MiB, cpus: 0.5 },
      restartPolicy: 'no',
    });
  });
});
