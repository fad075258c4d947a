/** Manifest documents the planner tests share. */
import type { AnyDocument } from '../../../../src/manifests/model.js';
import { container, link, network, publish } from '../fixtures.js';

export const web = container('web', { networks: [{ name: 'front', aliases: ['www'] }, { name: 'back' }] });
export const db = container('db', { networks: [{ name: 'back', aliases: ['database'] }] });
export const front = network('front');
export const back = network('back', { ipam: { subnet: '10.77.0.0/24' } });
export const app = [front, back, web, db];

/** One of every kind of document and setting; `forms` are the parts written differently in equivalent manifests. */
export function everything(forms: { env: Record<string, unknown>; expose: unknown[]; command: unknown }): AnyDocument[] {
  return [
    ...app,
    container('api', { networks: [{ name: 'back', aliases: ['api'] }], env: forms.env, dependsOn: ['db'] }),
    link('api-db', { from: 'api', to: 'db', network: 'back', alias: 'sql' }),
    container('legacy', { expose: forms.expose }),
    container('client', { command: forms.command }),
    link('client-legacy', { from: 'client', to: 'legacy', alias: 'server' }),
    publish('web-80', { container: 'web', containerPort: 80 }),
    publish('web-81', { container: 'web', containerPort: 81, hostPort: 8081, protocol: 'udp' }),
    container('hosted', { networkMode: 'host' }),
    container('sidecar', { networkMode: 'container:web' }),
    container('parked', { state: 'stopped' }),
  ];
}

/** The networking guides' two-way pair: `one` and `two` on `pair`, each with a network-scoped Link to the other. */
export function pair(spec: Record<string, unknown> = {}, networks: { name: string }[] = [{ name: 'pair' }]): AnyDocument[] {
  return [
    network('pair'),
    container('one', { networks, ...spec }),
    container('two', { networks, ...spec }),
    link('one-to-two', { from: 'one', to: 'two', network: 'pair' }),
    link('two-to-one', { from: 'two', to: 'one', network: 'pair' }),
  ];
}
