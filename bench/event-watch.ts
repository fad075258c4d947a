/**
 * Times taken from the engine's own event stream: the moment a container is
 * destroyed or started, as received, with no polling interval to blur it.
 */
import { performance } from 'node:perf_hooks';
import type { ContainerChange, Engine, EngineEvent } from '../src/engine/port.js';

export interface Received {
  event: EngineEvent;
  /** `performance.now()` at receipt. */
  at: number;
}

interface Waiter {
  matches(event: EngineEvent): boolean;
  resolve(received: Received): void;
  reject(error: Error): void;
}

export interface EventWatch {
  /** Resolves with the first matching event that arrives after the call. */
  next(matches: (event: EngineEvent) => boolean, timeoutMs: number): Promise<Received>;
  /** Ends the stream; what still waits rejects. */
  close(): void;
}

export function watchEvents(engine: Engine): EventWatch {
  const controller = new AbortController();
  const waiters = new Set<Waiter>();
  void (async () => {
    for await (const event of engine.events({ signal: controller.signal })) {
      const at = performance.now();
      for (const waiter of waiters) {
        if (waiter.matches(event)) {
          waiters.delete(waiter);
          waiter.resolve({ event, at });
        }
      }
    }
  })().catch(() => undefined);
  return {
    next(matches, timeoutMs) {
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          matches,
          resolve: (received) => {
            clearTimeout(timer);
            resolve(received);
          },
          reject: (error) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(error);
          },
        };
        const timer = setTimeout(() => waiter.reject(new Error(`No matching engine event within ${timeoutMs} ms`)), timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      controller.abort();
      for (const waiter of waiters) waiter.reject(new Error('The event watch was closed'));
    },
  };
}

export const containerEvent = (change: ContainerChange, name: string) => (event: EngineEvent) =>
  event.resource === 'container' && event.change === change && event.name === name;
