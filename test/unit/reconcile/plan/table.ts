/**
 * Planner tables: each row is (DesiredState, ObservedState literal) → the expected actions, in plan order, as
 * (type, resource, reason fragment, dependsOn), with the problems, kept resources and refused pruning.
 * The observed state is written out, never reached by applying a plan to a fake engine.
 */
import assert from 'node:assert/strict';
import type { AnyDocument } from '../../../../src/manifests/model.js';
import type { ObservedContainer, ObservedNetwork } from '../../../../src/engine/port.js';
import { DEFAULT_NETWORK } from '../../../../src/manifests/container-networks.js';
import type { Action, ActionType, Plan } from '../../../../src/reconcile/actions.js';
import { effectiveContainer, effectiveNetwork } from '../../../../src/reconcile/effective-config.js';
import { plan } from '../../../../src/reconcile/plan/index.js';
import { IMAGE, desiredState } from '../fixtures.js';
import { INSTANCE } from '../helpers.js';

export interface Engine {
  networks: ObservedNetwork[];
  containers: ObservedContainer[];
}

/** One action as a row expects it: its type, resource, a fragment of its reason, and its dependencies (ids). */
export type Expected = [type: ActionType, resource: string, reason: string, dependsOn: string[]];

export interface Row {
  name: string;
  desired: AnyDocument[];
  /** What the engine runs. @default an engine with only its built-in bridge network */
  observed?: Engine;
  unavailableFiles?: string[];
  allowEmpty?: boolean;
  actions: Expected[];
  /** Each problem's resource and a fragment of its message, in order. */
  problems?: [resource: string, message: string][];
  kept?: string[];
  pruneRefused?: string;
  check?: (result: Plan) => void;
}

/** A network mooring does not own. */
export function net(name: string, overrides: Partial<ObservedNetwork> = {}): ObservedNetwork {
  return { id: `net-${name}`, name, driver: 'bridge', internal: false, attachable: false, enableIPv6: false, options: {}, labels: {}, ...overrides };
}

/** A container mooring does not own, running on the default network. */
export function ctr(name: string, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return { id: `ctr-${name}`, name, image: IMAGE, labels: {}, status: 'running', networkMode: DEFAULT_NETWORK, endpoints: [], portBindings: [], ...overrides };
}

/** An endpoint as the engine reports it. */
export function endpoint(container: string, network: string, aliases: string[] = [], links: string[] = []): ObservedContainer['endpoints'][number] {
  return { network, networkId: `net-${network}`, endpointId: `ep-${container}-${network}`, aliases, links };
}

/**
 * The engine as mooring leaves it once `documents` are converged: the built-in bridge, every declared network with
 * its labels, every declared container with its labels, endpoints and ports, running (or only created when declared
 * stopped). `patch` changes single containers by name, e.g. `{ web: { status: 'exited' } }`.
 */
export function runs(documents: AnyDocument[], patch: Record<string, Partial<ObservedContainer>> = {}): Engine {
  const desired = desiredState(documents);
  const networks = desired.networks
    .filter((document) => !document.spec.external)
    .map((document) => net(document.name, effectiveNetwork({ document, instance: INSTANCE }).config));
  const containers = desired.containers.map((document) => {
    const { config, endpoints, state } = effectiveContainer({ document, desired, instance: INSTANCE });
    return ctr(document.name, {
      image: config.image,
      labels: config.labels,
      status: state === 'running' ? 'running' : 'created',
      networkMode: config.networkMode,
      endpoints: endpoints.map((wanted) => ({ ...endpoint(document.name, wanted.network, wanted.aliases, wanted.links), ...(wanted.ipv4Address ? { ipv4Address: wanted.ipv4Address } : {}) })),
      portBindings: config.portBindings,
      ...patch[document.name],
    });
  });
  return { networks: [net(DEFAULT_NETWORK), ...networks], containers };
}

/** Several engines' worth of resources in one, e.g. what mooring runs plus what someone added by hand. */
export function engine(...parts: Partial<Engine>[]): Engine {
  return { networks: parts.flatMap((part) => part.networks ?? []), containers: parts.flatMap((part) => part.containers ?? []) };
}

/** The engine's built-in bridge network, which every engine has. */
export const bare = (): Engine => engine({ networks: [net(DEFAULT_NETWORK)] });

export function planOf(row: Pick<Row, 'desired' | 'observed' | 'unavailableFiles' | 'allowEmpty'>): Plan {
  return plan({
    desired: desiredState(row.desired, row.unavailableFiles),
    observed: { instance: INSTANCE, ...(row.observed ?? bare()) },
    instance: INSTANCE,
    allowEmpty: row.allowEmpty ?? false,
  });
}

/** The action with this id. */
export function find<T extends ActionType>(result: Plan, id: string): Extract<Action, { type: T }> {
  const action = result.actions.find((candidate) => candidate.id === id);
  assert.ok(action, `expected action ${id} in ${result.actions.map((candidate) => candidate.id).join(', ')}`);
  return action as Extract<Action, { type: T }>;
}

/** A text as the row expects it: the expected fragment when the text holds it, else the whole text, so a mismatch shows both. */
const matching = (text: string, fragment: string | undefined) => (fragment !== undefined && text.includes(fragment) ? fragment : text);

/** One `it` per row. */
export function planTable(rows: Row[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const result = planOf(row);
      const actions = result.actions.map((action, i): Expected => [action.type, action.resource, matching(action.reason, row.actions[i]?.[2]), action.dependsOn]);
      assert.deepEqual(actions, row.actions);
      const problems = result.problems.map((problem, i) => [problem.resource, matching(problem.message, row.problems?.[i]?.[1])]);
      assert.deepEqual(problems, row.problems ?? []);
      assert.deepEqual(result.kept.map((kept) => kept.resource), row.kept ?? []);
      assert.equal(result.pruneRefused === undefined ? undefined : matching(result.pruneRefused, row.pruneRefused), row.pruneRefused);
      row.check?.(result);
    });
  }
}
