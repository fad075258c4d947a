/** The engine's event stream, as mooring-level container and network changes. */
import type { Readable } from 'node:stream';
import { EngineError } from '../../errors.js';
import type { EngineEvent } from '../port.js';
import type { EngineClient } from './client.js';
import type { Images } from './images.js';
import { engineEvent } from './mapping.js';
import { jsonLines } from './streams.js';

/**
 * Container and network events until `signal` aborts (then it ends quietly);
 * when the engine closes the stream or the connection breaks, it throws a
 * transient `EngineError`. Only the answer to the request has a deadline: a
 * stream stays quiet while nothing happens, so whether the engine still
 * answers is for the caller to ask (`followEngineEvents` does). Image events
 * only invalidate `images`' list, kept while a stream is live.
 */
export async function* engineEvents(client: EngineClient, signal: AbortSignal, images: Images): AsyncIterable<EngineEvent> {
  if (signal.aborted) return;
  const what = 'watch engine events';
  let stream: Readable;
  try {
    stream = (await client.request(
      'events',
      what,
      (requestSignal) => client.docker.getEvents({ filters: { type: ['container', 'network', 'image'] }, abortSignal: requestSignal }),
      { signal },
    )) as Readable;
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  images.watching(true);
  try {
    for await (const message of jsonLines(stream)) {
      if ((message as { Type?: string }).Type === 'image') images.changed();
      const event = engineEvent(message);
      if (event) yield event;
    }
  } catch (error) {
    if (signal.aborted) return;
    throw client.error(what, error);
  } finally {
    images.watching(false);
    stream.destroy();
  }
  if (signal.aborted) return;
  throw new EngineError(`${what}: the engine at ${client.address.url} closed the event stream`, { transient: true });
}
