/**
 * The documentation's promises that a reader acts on: every manifest example is
 * a valid, self-contained manifest directory, the status example matches the
 * status schema, the alert rules load in Prometheus, and the README's Quick
 * start is the two commands `npm` and `.ci/run` really run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';
import { statusSchemaErrors } from '../../support/status-schema.js';

const execFileAsync = promisify(execFile);

const REPO = resolve(import.meta.dirname, '../../..');

interface Example {
  file: string;
  /** Line of the opening fence, for the failure message. */
  line: number;
  text: string;
}

/** The fenced blocks of a Markdown file in one language (```yaml, ```json). */
function fencedBlocks(file: string, markdown: string, language: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== `\`\`\`${language}`) continue;
    const end = lines.findIndex((line, j) => j > i && line.trim() === '```');
    assert.ok(end > i, `${file}:${i + 1}: unclosed ${language} block`);
    examples.push({ file, line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return examples;
}

/** A YAML block is a manifest example when it declares mooring documents (others are, e.g., Prometheus rules). */
const isManifest = (example: Example) => /^apiVersion: mooring\/v1$/m.test(example.text);

/**
 * What an example refers to outside itself, which a page cannot carry: a
 * Secret's `file`, a Container's `envFiles` (made as placeholder files) and a
 * Secret's `env` variable (set to a placeholder).
 */
async function provideInputs(directory: string, text: string): Promise<NodeJS.ProcessEnv> {
  const files = [
    ...[...text.matchAll(/^\s*file: (\S+)$/gm)].map((match) => match[1]!),
    ...[...text.matchAll(/^\s*envFiles: \[([^\]]*)\]$/gm)].flatMap((match) => match[1]!.split(',').map((name) => name.trim())),
  ];
  for (const file of files) {
    const target = resolve(directory, file);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, 'PLACEHOLDER=1\n');
  }
  return Object.fromEntries([...text.matchAll(/^\s*env: ([A-Za-z_][A-Za-z0-9_]*)$/gm)].map((match) => [match[1]!, 'placeholder']));
}

async function problemsOf(directory: string, env: NodeJS.ProcessEnv = {}): Promise<{ errors: string[]; documents: number }> {
  const loaded = await loadDesiredState({ directory, env });
  const errors = [...loaded.files.flatMap((file) => file.errors), ...loaded.heldBackErrors].map((error) => error.message);
  return { errors, documents: loaded.files.reduce((sum, file) => sum + file.documents.length, 0) };
}

const DOCUMENTS = ['README.md', ...(await readdir(join(REPO, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

describe('documentation examples', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-docs-'));
  });

  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('docs/manifests.md has an example of every kind, and only manifest examples', async () => {
    const examples = fencedBlocks('docs/manifests.md', await readFile(join(REPO, 'docs/manifests.md'), 'utf8'), 'yaml');
    for (const example of examples) assert.ok(isManifest(example), `${example.file}:${example.line}: expected a manifest example`);
    const text = examples.map((example) => example.text).join('\n');
    for (const kind of ['Network', 'Container', 'Link', 'PortPublish', 'Probe', 'Volume', 'Secret']) {
      assert.match(text, new RegExp(`^kind: ${kind}$`, 'm'), `expected an example of ${kind}`);
    }
  });

  for (const document of DOCUMENTS) {
    it(`every manifest example in ${document} is a valid manifest directory on its own`, async () => {
      const examples = fencedBlocks(document, await readFile(join(REPO, document), 'utf8'), 'yaml').filter(isManifest);
      for (const [index, example] of examples.entries()) {
        const exampleDirectory = join(directory, String(index));
        await mkdir(exampleDirectory);
        await writeFile(join(exampleDirectory, 'example.yaml'), example.text);
        const { errors, documents } = await problemsOf(exampleDirectory, await provideInputs(exampleDirectory, example.text));
        assert.deepEqual(errors, [], `${example.file}:${example.line}: the example is invalid`);
        assert.ok(documents > 0, `${example.file}:${example.line}: the example declares nothing`);
      }
    });
  }

  it('the status file example in docs/status.md matches the status schema', async () => {
    const [example] = fencedBlocks('docs/status.md', await readFile(join(REPO, 'docs/status.md'), 'utf8'), 'json');
    assert.ok(example, 'expected a json example in docs/status.md');
    assert.deepEqual(statusSchemaErrors(JSON.parse(example.text)), []);
  });

  it('the alert rules in docs/status.md pass promtool check rules', async function () {
    const rules = fencedBlocks('docs/status.md', await readFile(join(REPO, 'docs/status.md'), 'utf8'), 'yaml').filter((example) => /^groups:/m.test(example.text));
    assert.ok(rules.length > 0, 'expected alert rules in docs/status.md');
    for (const [index, example] of rules.entries()) {
      const file = join(directory, `rules-${index}.yaml`);
      await writeFile(file, example.text);
      try {
        await execFileAsync(process.env.PROMTOOL ?? 'promtool', ['check', 'rules', file]);
      } catch (error) {
        const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
        if (failure.code === 'ENOENT' && process.env.CI !== 'true') return this.skip();
        assert.fail(`${example.file}:${example.line}: promtool check rules failed: ${failure.stdout ?? ''}${failure.stderr ?? failure.message}`);
      }
    }
  });

  it("the README's Quick start is the two commands, and they are what npm and CI run", async () => {
    const readme = await readFile(join(REPO, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    const block = /```sh\n([\s\S]*?)```/.exec(quickStart)?.[1] ?? '';
    const commands = block.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter(Boolean);
    assert.deepEqual(commands, ['npm ci && npm start', 'npm ci && npm test']);
    const scripts = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.start ?? '', /mooring\.js run -m manifests/);
    assert.ok(scripts.test, 'expected an npm test script');
    const ci = await readFile(join(REPO, '.ci/run'), 'utf8');
    assert.match(ci, /^npm ci$/m);
    assert.match(ci, /^npm test$/m);
  });
});
