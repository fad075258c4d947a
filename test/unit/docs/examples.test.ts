/**
 * The documentation's promises that a reader acts on: every YAML example is a
 * valid, self-contained manifest directory, the example manifests are valid, and
 * the README's Quick start is the two commands `npm` and `.ci/run` really run.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';

const REPO = resolve(import.meta.dirname, '../../..');

interface Example {
  file: string;
  /** Line of the opening fence, for the failure message. */
  line: number;
  text: string;
}

/** The fenced ```yaml blocks of a Markdown file. */
function yamlBlocks(file: string, markdown: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```yaml') continue;
    const end = lines.findIndex((line, j) => j > i && line.trim() === '```');
    assert.ok(end > i, `${file}:${i + 1}: unclosed yaml block`);
    examples.push({ file, line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return examples;
}

async function problemsOf(directory: string): Promise<{ errors: string[]; documents: number }> {
  const loaded = await loadDesiredState({ directory });
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

  it('docs/manifests.md has an example of every kind', async () => {
    const text = await readFile(join(REPO, 'docs/manifests.md'), 'utf8');
    const examples = yamlBlocks('docs/manifests.md', text).map((example) => example.text).join('\n');
    for (const kind of ['Network', 'Container', 'Link', 'PortPublish', 'Probe']) {
      assert.match(examples, new RegExp(`^kind: ${kind}$`, 'm'), `expected an example of ${kind}`);
    }
  });

  for (const document of DOCUMENTS) {
    it(`every yaml example in ${document} is a valid manifest directory on its own`, async () => {
      const examples = yamlBlocks(document, await readFile(join(REPO, document), 'utf8'));
      for (const [index, example] of examples.entries()) {
        const exampleDirectory = join(directory, String(index));
        await mkdir(exampleDirectory);
        await writeFile(join(exampleDirectory, 'example.yaml'), example.text);
        const { errors, documents } = await problemsOf(exampleDirectory);
        assert.deepEqual(errors, [], `${example.file}:${example.line}: the example is invalid`);
        assert.ok(documents > 0, `${example.file}:${example.line}: the example declares nothing`);
      }
    });
  }

  it('the example manifests/ directory is valid', async () => {
    const { errors, documents } = await problemsOf(join(REPO, 'manifests'));
    assert.deepEqual(errors, []);
    assert.ok(documents > 0);
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
