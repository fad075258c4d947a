import type { Action } from './actions.js';

/**
 * A resource's actions are its sequence. It begins with the first action that
 * changes what runs, and from then on it
 * is finished even when stopping: a container removed to be recreated is
 * created, connected and started; a container disconnected from a network
 * being recreated is connected again.
 */
export class Sequences {
  readonly #byId: ReadonlyMap<string, Action>;
  readonly #byResource = new Map<string, Action[]>();
  readonly #begun = new Set<string>();

  constructor(actions: readonly Action[]) {
    this.#byId = new Map(actions.map((action) => [action.id, action]));
    for (const action of actions) this.#byResource.set(action.resource, [...(this.#byResource.get(action.resource) ?? []), action]);
  }

  /** Called as an action starts. */
  begin(action: Action): void {
    if (changesEngine(action)) this.#begun.add(action.resource);
  }

  /**
   * The ids of the actions that still run once stopping: those of every begun
   * sequence and, transitively, what they depend on. A dependency that changes
   * the engine begins its own resource's sequence, so that one is finished too.
   */
  toFinish(): ReadonlySet<string> {
    const ids = new Set<string>();
    const resources = new Set<string>();
    const addResource = (resource: string): void => {
      if (resources.has(resource)) return;
      resources.add(resource);
      for (const action of this.#byResource.get(resource) ?? []) addAction(action.id);
    };
    const addAction = (id: string): void => {
      const action = this.#byId.get(id);
      if (!action || ids.has(id)) return;
      ids.add(id);
      if (changesEngine(action)) addResource(action.resource);
      for (const dependency of action.dependsOn) addAction(dependency);
    };
    for (const resource of this.#begun) addResource(resource);
    return ids;
  }
}

/** A pull makes an image available; it changes nothing that runs. */
function changesEngine(action: Action): boolean {
  return action.type !== 'pull-image';
}
