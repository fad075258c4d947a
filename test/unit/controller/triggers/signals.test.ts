import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { handleSignals, signalExitCode } from '../../../../src/controller/triggers/signals.js';

describe('handleSignals', () => {
  it('the first stop signal stops, any later one forces; SIGHUP reloads; dispose removes every handler', () => {
    const source = new EventEmitter();
    const seen: string[] = [];
    const dispose = handleSignals(source, {
      onStop: (signal) => seen.push(`stop ${signal}`),
      onForce: (signal) => seen.push(`force ${signal}`),
      onReload: () => seen.push('reload'),
    });
    source.emit('SIGHUP', 'SIGHUP');
    source.emit('SIGTERM', 'SIGTERM');
    source.emit('SIGINT', 'SIGINT');
    source.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(seen, ['reload', 'stop SIGTERM', 'force SIGINT', 'force SIGTERM']);
    dispose();
    assert.deepEqual(['SIGTERM', 'SIGINT', 'SIGHUP'].map((signal) => source.listenerCount(signal)), [0, 0, 0]);
  });

  it('leaves SIGHUP alone without a reload handler', () => {
    const source = new EventEmitter();
    handleSignals(source, { onStop: () => undefined, onForce: () => undefined });
    assert.equal(source.listenerCount('SIGHUP'), 0);
  });

  it('exit codes are 128 + the signal number, as shells report them', () => {
    assert.equal(signalExitCode('SIGINT'), 130);
    assert.equal(signalExitCode('SIGTERM'), 143);
  });
});
