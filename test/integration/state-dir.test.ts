/** Secret files on the real file system: modes, what stays private, and what a shared directory keeps. */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SecretContent } from '../../src/manifests/secret-content.js';
import { writeSecretFiles } from '../../src/state-dir.js';
import { directoryPerTest } from '../support/temp-directory.js';

describe('the state directory', () => {
  const dir = directoryPerTest('mooring-state-dir-');
  const inputs = { secrets: new Map([['pw', { value: new SecretContent(Buffer.from('hunter2')) }]]), envFiles: new Map() };
  const write = (stateDir: string) => {
    const hostPath = path.join(stateDir, 'secrets', 'i', 'app', 'run-secrets', 'pw');
    return writeSecretFiles({ stateDir, instance: 'i', files: { app: [{ secret: 'pw', hostPath, mode: 0o400 }] }, inputs }).then((failures) => ({ failures, hostPath }));
  };
  const mode = async (file: string) => (await stat(file)).mode & 0o777;

  it('makes a new state directory and its secrets directory 0700, and the file its mode', async () => {
    const stateDir = path.join(dir(), 'state');
    const { failures, hostPath } = await write(stateDir);
    assert.deepEqual([...failures], []);
    assert.deepEqual([await mode(stateDir), await mode(path.join(stateDir, 'secrets')), await mode(hostPath)], [0o700, 0o700, 0o400]);
    assert.equal(await readFile(hostPath, 'utf8'), 'hunter2');
  });

  it('leaves the mode of a state directory that exists (the status file\u2019s, say), and keeps the secrets private below it', async () => {
    const stateDir = path.join(dir(), 'shared');
    await mkdir(path.join(stateDir, 'secrets'), { recursive: true });
    await chmod(stateDir, 0o755);
    await chmod(path.join(stateDir, 'secrets'), 0o755);
    const { failures } = await write(stateDir);
    assert.deepEqual([...failures], []);
    assert.deepEqual([await mode(stateDir), await mode(path.join(stateDir, 'secrets'))], [0o755, 0o700]);
  });
});
