import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const MODULE = fileURLToPath(new URL('../../../src/cli/defer-dockerode.ts', import.meta.url));

/** Runs `script` in a new node process (a require cache of its own), with `defer-dockerode` imported as `defer`; resolves to what it prints, parsed. */
async function inNewProcess(script: string): Promise<unknown> {
  const source = `import * as defer from ${JSON.stringify(MODULE)}; import { createRequire } from 'node:module'; const require = createRequire(${JSON.stringify(MODULE)}); ${script}`;
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source]);
  return JSON.parse(stdout) as unknown;
}

describe('deferring dockerode\'s unused parts', () => {
  it('loads dockerode without its BuildKit session support (gRPC, protobuf) or the SSH transport', async () => {
    const loaded = (modules: string) => `Object.keys(require.cache).filter((path) => /node_modules\\/(${modules})\\//.test(path)).length`;
    const counts = await inNewProcess(`
      defer.deferDockerodeExtras();
      const Docker = require('dockerode');
      new Docker({ socketPath: '/nonexistent.sock' });
      console.log(JSON.stringify({ grpc: ${loaded('@grpc|protobufjs')}, ssh2: ${loaded('ssh2|cpu-features')}, dockerode: ${loaded('dockerode')} }));
    `);
    const { grpc, ssh2, dockerode } = counts as { grpc: number; ssh2: number; dockerode: number };
    assert.deepEqual({ grpc, ssh2 }, { grpc: 0, ssh2: 0 });
    assert.ok(dockerode > 0, 'dockerode itself is loaded');
  });

  describe('deferFunctionModule', () => {
    let directory: string;
    before(async () => {
      directory = await mkdtemp(join(tmpdir(), 'mooring-defer-'));
      await writeFile(join(directory, 'add.cjs'), 'globalThis.evaluated = true;\nmodule.exports = function add(a, b) { return [this?.name, a + b]; };\n');
    });
    after(() => rm(directory, { recursive: true, force: true }));

    it('evaluates the module only at its export\'s first call, which it forwards with its receiver and arguments', async () => {
      const file = JSON.stringify(join(directory, 'add.cjs'));
      const result = await inNewProcess(`
        defer.deferFunctionModule(${file});
        const add = require(${file});
        const before = globalThis.evaluated === true;
        const calls = [add.call({ name: 'r' }, 1, 2), add(3, 4)];
        console.log(JSON.stringify({ before, after: globalThis.evaluated === true, calls }));
      `);
      assert.deepEqual(result, { before: false, after: true, calls: [['r', 3], [null, 7]] });
    });

    it('leaves a missing file, and one already loaded, as they are', async () => {
      const file = JSON.stringify(join(directory, 'add.cjs'));
      const result = await inNewProcess(`
        defer.deferFunctionModule(${JSON.stringify(join(directory, 'missing.cjs'))});
        const real = require(${file});
        defer.deferFunctionModule(${file});
        console.log(JSON.stringify({ missing: require.cache[${JSON.stringify(join(directory, 'missing.cjs'))}] === undefined, same: require(${file}) === real }));
      `);
      assert.deepEqual(result, { missing: true, same: true });
    });
  });
});
