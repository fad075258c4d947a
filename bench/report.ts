/** The results as Markdown, the same text on the terminal and in docs/performance.md. */
import type { BenchResults } from './run.js';
import type { Row, ScenarioResult } from './scenario.js';

function table(header: string[], lines: string[][]): string {
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function rowsTable(rows: Row[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row.values)))];
  return table(['', ...columns], rows.map((row) => [row.label, ...columns.map((column) => String(row.values[column] ?? ''))]));
}

function scenarioSection(result: ScenarioResult): string {
  const parameters = Object.entries(result.parameters).map(([key, value]) => `${key} ${value}`).join(', ');
  return [
    `### ${result.title}`,
    `Parameters: ${parameters}.`,
    rowsTable(result.rows),
    table(['target', 'measured', 'met'], result.targets.map((target) => [target.target, target.measured, target.met ? 'yes' : target.required ? '**no** (required: the run fails)' : '**no**'])),
    ...result.notes.map((note) => `- ${note}`),
  ].join('\n\n');
}

export function formatResults(results: BenchResults): string {
  const machine = Object.entries(results.machine).map(([key, value]) => `${key} ${value}`).join('; ');
  return [
    `## Benchmark, ${results.mode} mode, ${results.date}`,
    `Machine: ${machine}.`,
    ...results.scenarios.map((scenario) => ('error' in scenario ? `### ${scenario.id}\n\nFailed: ${scenario.error}` : scenarioSection(scenario))),
  ].join('\n\n');
}
