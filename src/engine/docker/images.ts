/** Images: whether one is present, and pulling one to the end of its progress stream. */
import type { Readable } from 'node:stream';
import { EngineError } from '../../errors.js';
import type { ObservedImage } from '../port.js';
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
      .then((images) => images.map((image) => ({ id: image.Id, tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>') })));
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
}

function isRegistryUnreachable(message: string): boolean {
  return /dial tcp|no such host|connection refused|i\/o timeout|TLS handshake timeout|network is unreachable|Client\.Timeout/i.test(message);
}
