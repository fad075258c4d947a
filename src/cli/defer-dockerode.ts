/**
 * dockerode requires, as it loads, two parts mooring never uses: its BuildKit
 * session support (`@grpc/grpc-js`, `@grpc/proto-loader`, `protobufjs`: 120
 * modules) and docker-modem's SSH transport (`ssh2` and a native addon).
 * Loading them was 13% of `mooring plan`'s CPU. Each is a module that exports
 * one function; it is put in the require cache as a stand-in that loads the
 * real module on its first call, so nothing changes but when it loads.
 */
import { existsSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Makes the CommonJS module at `path` load on the first call of the function
 * it exports. Does nothing when the file is absent (a dependency laid out
 * differently) or already loaded.
 */
export function deferFunctionModule(path: string): void {
  if (!existsSync(path) || require.cache[path] !== undefined) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.loaded = true;
  standIn.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
    if (real === undefined) {
      // Out of the cache, so that the require below loads the file itself.
      delete require.cache[path];
      real = require(path) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  require.cache[path] = standIn;
}

/** Before dockerode first loads: its session support and docker-modem's SSH transport load only if called. */
export function deferDockerodeExtras(): void {
  let dockerode: string;
  try {
    dockerode = require.resolve('dockerode');
  } catch {
    return;
  }
  deferFunctionModule(join(dirname(dockerode), 'session.js'));
  try {
    deferFunctionModule(join(dirname(createRequire(dockerode).resolve('docker-modem')), 'ssh.js'));
  } catch {
    // docker-modem laid out otherwise: it loads as it always did.
  }
}
