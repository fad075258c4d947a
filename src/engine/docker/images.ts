/** Images: whether one is present, pulling one and building one, each to the end of its progress stream. */
import type { Readable } from 'node:stream';
import tar from 'tar-fs';
import { EngineError } from '../../errors.js';
import type { ImageBuild, ObservedImage } from '../port.js';
import type { EngineClient } from './client.js';
import { engineMessage, statusIn } from './client.js';
import { jsonLines, quietDeadline } from './streams.js';

export class Images {
  readonly #client: EngineClient;
  /** The last image list, kept only while an event stream is live to invalidate it: a no-op pass then lists no images. */
  #cached: Promise<ObservedImage[]> | undefined;
  #streams = 0;

  constructor(client: EngineClient) {
    this.#client = client;
  }

  async exists(image: string): Promise<boolean> {
    const found = await this.#client.requestAbsorbing('inspectImage', `inspect image ${image}`, () => this.#client.docker.getImage(image).inspect(), statusIn(404));
    return found !== undefined;
  }

  list(): Promise<ObservedImage[]> {
    if (this.#cached) return this.#cached;
    const listing = this.#client
      .request('listImages', 'list images', () => this.#client.docker.listImages())
      .then((images) => images.map((image) => ({ id: image.Id, tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'), labels: image.Labels ?? {} })));
    if (this.#streams > 0) {
      this.#cached = listing;
      listing.catch(() => this.changed());
    }
    return listing;
  }

  /** An image was tagged, untagged, pulled, built or deleted, or what happened meanwhile is unknown. */
  changed(): void {
    this.#cached = undefined;
  }

  /** An event stream started (`true`: events from now on reach `changed`) or ended (`false`). */
  watching(live: boolean): void {
    this.#streams += live ? 1 : -1;
    this.changed();
  }

  /** Resolves once the whole pull is done; the engine reports a failure mid-way inside the stream. */
  async pull(image: string): Promise<void> {
    const what = `pull image ${image}`;
    const failure = (detail: string, options: { statusCode?: number; cause?: unknown }) =>
      isRegistryUnreachable(detail)
        ? new EngineError(`${what}: the registry is unreachable: ${detail}`, { ...options, transient: true })
        : new EngineError(`${what}: ${detail}`, { ...options, transient: (options.statusCode ?? 0) >= 500 });
    let stream: Readable;
    try {
      stream = (await this.#client.request('pullImage', what, (signal) => this.#client.docker.pull(image, { abortSignal: signal }))) as Readable;
    } catch (error) {
      if (error instanceof EngineError && error.statusCode !== undefined) throw failure(engineMessage(error.cause), { statusCode: error.statusCode, cause: error.cause });
      throw error;
    }
    quietDeadline(stream, this.#client.pullIdleMs, () => this.#client.timeout(what, this.#client.pullIdleMs, 'sent no progress'));
    try {
      for await (const message of jsonLines(stream)) {
        const detail = (message as { error?: unknown }).error;
        if (typeof detail === 'string') throw failure(detail, {});
      }
    } catch (error) {
      throw this.#client.error(what, error);
    } finally {
      // Whatever the pull did to the tag, the next list must not miss it, event or not.
      this.changed();
    }
  }

  /** Resolves once the image is built and tagged; a failure mid-way comes inside the stream, as a pull's does. */
  async build(build: ImageBuild, onOutput: (line: string) => void = () => {}): Promise<void> {
    const client = this.#client;
    const what = `build image ${build.tag}`;
    const context = tar.pack(build.context, { entries: build.files });
    const options = {
      t: build.tag,
      dockerfile: build.dockerfile,
      buildargs: build.args,
      labels: build.labels,
      ...(build.target === undefined ? {} : { target: build.target }),
      // As `docker build` does: the intermediate containers go, also after a failed step.
      rm: true,
      forcerm: true,
    };
    // The engine answers once it has the whole context, which may take longer than a plain request.
    const stream = (await client.request('buildImage', what, () => client.docker.buildImage(context, options), { deadlineMs: BUILD_IDLE_MS })) as Readable;
    quietDeadline(stream, BUILD_IDLE_MS, () => client.timeout(what, BUILD_IDLE_MS, 'printed nothing'));
    const last: string[] = [];
    try {
      for await (const message of jsonLines(stream)) {
        const { stream: text, error } = message as { stream?: unknown; error?: unknown };
        for (const line of typeof text === 'string' ? text.split('\n') : []) {
          if (line.trim() === '') continue;
          onOutput(line);
          last.push(line);
          if (last.length > FAILED_BUILD_LINES) last.shift();
        }
        if (typeof error === 'string') {
          throw new EngineError(`${what} failed: ${error}${last.length > 0 ? `; its last lines:\n${last.join('\n')}` : ''}`, { transient: false });
        }
      }
    } catch (error) {
      throw error instanceof EngineError ? error : client.error(what, error);
    } finally {
      this.changed();
    }
  }
}

/** A build step may print nothing for long (a compile, a download): only this much silence means the engine is stuck. */
const BUILD_IDLE_MS = 10 * 60_000;
/** How many of a failed build's last lines its error carries: enough for the failing step and its output. */
const FAILED_BUILD_LINES = 12;

function isRegistryUnreachable(message: string): boolean {
  return /dial tcp|no such host|connection refused|i\/o timeout|TLS handshake timeout|network is unreachable|Client\.Timeout/i.test(message);
}
