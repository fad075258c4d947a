/**
 * The packaged systemd unit: systemd itself checks it, and every flag it and the
 * example environment file pass is one `mooring run` really has.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../../..');
const UNIT = join(REPO, 'systemd/mooring.service');
const DEFAULTS = join(REPO, 'systemd/mooring.default');

/** `mooring run --help` from the sources, in a process of its own: commander prints a subcommand's help to process.stdout. */
async function runHelp(): Promise<string> {
  const script = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'run', '--help'], { cwd: REPO });
  return stdout;
}

/** Every `--flag` word, in comments too (they show flags to use), except on lines about other commands. */
function flagsIn(text: string): string[] {
  const lines = text.split('\n').filter((line) => !/\b(systemctl|journalctl|npm|install|nsenter)\b/.test(line));
  return [...new Set(lines.join('\n').match(/(?<![\w-])--[a-z][a-z-]*/g) ?? [])];
}

describe('systemd/mooring.service', function () {
  this.timeout(60_000);

  it('passes systemd-analyze verify without a warning', async function () {
    try {
      await execFileAsync('systemd-analyze', ['--version']);
    } catch {
      if (process.env.CI === 'true') throw new Error('systemd-analyze is missing (Debian: apt-get install systemd)');
      this.skip();
    }
    // verify insists that ExecStart's binary exists. The unit names the `mooring` an
    // npm global install puts on systemd's search path, which this machine need not
    // have; the copy points at this checkout instead and is otherwise the same unit.
    const directory = await mkdtemp(join(tmpdir(), 'mooring-unit-'));
    try {
      const unit = await readFile(UNIT, 'utf8');
      const copy = unit.replace(/^ExecStart=mooring /m, `ExecStart=${process.execPath} ${join(REPO, 'bin/mooring.js')} `);
      assert.notEqual(copy, unit, 'expected the unit to start `mooring run` by its bare name');
      await writeFile(join(directory, 'mooring.service'), copy);
      const { stdout, stderr } = await execFileAsync('systemd-analyze', ['verify', join(directory, 'mooring.service')]);
      // Unknown keys and bad values are only warnings to verify, so any output fails the test.
      assert.equal(`${stdout}${stderr}`.trim(), '');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('runs `mooring run` with the packaged paths and reloads with SIGHUP', async () => {
    const unit = await readFile(UNIT, 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    assert.equal(
      execStart,
      'mooring run -m /etc/mooring/manifests --status /var/lib/mooring/status.json --metrics-file /var/lib/mooring/metrics.prom $MOORING_OPTS',
    );
    assert.match(unit, /^Type=simple$/m);
    assert.match(unit, /^StateDirectory=mooring$/m);
    assert.match(unit, /^EnvironmentFile=-\/etc\/default\/mooring$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.match(unit, /^Restart=on-failure$/m);
  });

  it('passes only flags that `mooring run` has, in the unit and in the example environment file', async () => {
    const help = await runHelp();
    const known = new Set(flagsIn(help));
    assert.ok(known.has('--status'), `expected \`mooring run --help\` to list --status, got:\n${help}`);
    for (const file of [UNIT, DEFAULTS]) {
      for (const flag of flagsIn(await readFile(file, 'utf8'))) {
        assert.ok(known.has(flag), `${file}: ${flag} is not a flag of \`mooring run\``);
      }
    }
  });
});
