/** What an engine call rejected with, checked to be an EngineError, so a test can read its status code and `transient`. */
import assert from 'node:assert/strict';
import { EngineError } from '../../src/errors.js';

export async function engineRejection(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}
