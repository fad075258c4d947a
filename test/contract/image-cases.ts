/** Images: built from the files a context lists, tagged and labelled; a build the engine cannot start is refused. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImageBuild } from '../../src/engine/port.js';
import { EngineError } from '../../src/errors.js';
import { TEST_IMAGE, dockerMaybe, uniqueName } from '../support/docker.js';
import type { Contract } from './contract.js';

export function imageCases(c: Contract): void {
  describe('images', () => {
    const made = new Set<string>();
    let builds = 0;
    let context: string;

    const build = (overrides: Partial<ImageBuild> = {}): ImageBuild => {
      const tag = `${uniqueName(`built-${(builds += 1)}`)}:contract`;
      made.add(tag);
      return { tag, context, files: ['Dockerfile', 'hello.txt'], dockerfile: 'Dockerfile', args: { GREETING: 'hi' }, labels: { 'io.mooring.build-digest': 'contract' }, ...overrides };
    };

    beforeEach(async () => {
      context = await mkdtemp(path.join(tmpdir(), 'mooring-contract-build-'));
      await writeFile(path.join(context, 'Dockerfile'), `FROM ${TEST_IMAGE}\nARG GREETING\nCOPY hello.txt /\nRUN echo "$GREETING"\n`);
      await writeFile(path.join(context, 'hello.txt'), 'hello\n');
    });

    afterEach(async () => {
      for (const tag of made) await dockerMaybe('rmi', '-f', tag);
      made.clear();
      await rm(context, { recursive: true, force: true });
    });

    it('builds an image from the listed files, tags it and labels it; the list shows it', async () => {
      const wanted = build();
      const output: string[] = [];
      await c.engine.buildImage(wanted, (line) => output.push(line));
      assert.ok(output.length > 0, 'the build prints its progress');
      const listed = (await c.engine.listImages()).find((image) => image.tags.includes(wanted.tag));
      assert.ok(listed, `${wanted.tag} is listed`);
      assert.equal(listed.labels['io.mooring.build-digest'], 'contract');
      assert.equal(await c.engine.imageExists(wanted.tag), true);
    });

    it('refuses a build whose Dockerfile is not among the files sent', async () => {
      const wanted = build({ files: ['hello.txt'] });
      await assert.rejects(c.engine.buildImage(wanted), (error) => {
        assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
        assert.match(error.message, /Dockerfile/);
        assert.equal(error.statusCode, 500, error.message);
        return true;
      });
      assert.equal(await c.engine.imageExists(wanted.tag), false);
    });
  });
}
