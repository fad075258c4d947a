/**
 * The events of one engine subscription, kept, so a case can wait for an event
 * whether it came before or after the case asked for it.
 */
import type { ContainerChange, Engine, EngineEvent, NetworkConfig } from '../../src/engine/port.js';

/** Events from one subscription, kept so a case can wait for one that came before it asked. */
export class EventLog {
  readonly #events: EngineEvent[] = [];
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #ended: unknown;

  private constructor(engine: Engine) {
    void (async () => {
      try {
        for await (const event of engine.events({ signal: this.#abort.signal })) {
          this.#events.push(event);
          this.#wake?.();
        }
        this.#ended = new Error('the event stream ended');
      } catch (error) {
        this.#ended = error;
      }
      this.#wake?.();
    })();
  }

  /**
   * Subscribes, then makes networks with `warm` until the stream shows one: only then is
   * the subscription known to be live, so every later action's events will arrive.
   */
  static async subscribe(engine: Engine, warm: () => Promise<NetworkConfig>): Promise<EventLog> {
    const log = new EventLog(engine);
    for (;;) {
      const { name } = await warm();
      const seen = await log.next((event) => event.resource === 'network' && event.change === 'created' && event.name === name, 1000).catch(() => undefined);
      if (seen) return log;
    }
  }

  /** The first event `matches` accepts, already come or still to come; rejects after `timeoutMs`. */
  async next(matches: (event: EngineEvent) => boolean, timeoutMs = 20_000): Promise<EngineEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#events.find(matches);
      if (found) return found;
      if (this.#ended !== undefined) throw this.#ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; saw ${this.#events.map((event) => `${event.resource} ${event.change} ${event.name ?? event.id}`).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The changes of the container events about `id`, in order. */
  changes(id: string): ContainerChange[] {
    return this.#events.flatMap((event) => (event.resource === 'container' && event.id === id ? [event.change] : []));
  }

  close(): void {
    this.#abort.abort();
  }
}
