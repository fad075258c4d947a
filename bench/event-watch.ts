/**
 * Times taken from the engine's own event stream: the moment a container is
 * destroyed or started, as received, with no polling interval to blur it.
 */
import { performance } from 'node:perf_hooks';
import type { ContainerChange, Engine, EngineEvent } from '../src/engine/port.js';

interface Waiter {
  matches(event: EngineEvent): boolean;
  resolve(receivedAt: number): void;
}

export interface EventWatch {
  /** Resolves with `performance.now()` at receipt of the first matching event that arrives after the call. */
  next(matches: (event: EngineEvent) => boolean, timeoutMs: number): Promise<number>;
  close(): void;
}

export function watchEvents(engine: Engine): EventWatch {
  const controller = new AbortController();
  const waiters = new Set<Waiter>();
  void (async () => {
    for await (const event of engine.events({ signal: controller.signal })) {
      const receivedAt = performance.now();
      for (const waiter of waiters) {
        if (waiter.matches(event)) {
          waiters.delete(waiter);
          waiter.resolve(receivedAt);
        }
      }
    }
  })().catch(() => undefined);
  return {
    next(matches, timeoutMs) {
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          matches,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No matching engine event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => controller.abort(),
  };
}

export const containerEvent = (change: ContainerChange, name: string) => (event: EngineEvent) =>
  event.resource === 'container' && event.change === change && event.name === name;
