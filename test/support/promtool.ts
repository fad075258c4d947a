/** Prometheus's own parser and linter, as the tests' judge of the metrics format. */
import { execFile } from 'node:child_process';

/** Debian's `prometheus` package has it; `bash scripts/ensure-engine.sh --test-tools` installs that. */
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

/** `promtool check metrics` on `text`: its verdict, from the exit code and what it printed. */
export function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(PROMTOOL, ['check', 'metrics'], (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`expected promtool on PATH (bash scripts/ensure-engine.sh --test-tools installs it), got ${error.message}`));
      else resolve({ code: error ? Number(error.code) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(text);
  });
}
