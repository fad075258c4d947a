/**
 * The setns method's thread pool on real network namespaces: this process's
 * own; a fresh one from `unshare --net` whose loopback is down, so the same
 * check gives a different answer in each; and one whose loopback drops
 * connections to port 9, so a check there waits for its timeout. Needs root,
 * not the engine.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { proberProgram } from '../../../src/probes/prober-program.js';
import { SetnsPool } from '../../../src/probes/setns.js';
import type { LoopbackPorts } from '../../support/loopback.js';
import { loopbackPorts } from '../../support/loopback.js';

describe('SetnsPool (network namespaces)', function () {
  this.timeout(30_000);
  let ports: LoopbackPorts;
  let isolated: ChildProcess;
  let dropping: ChildProcess;
  let pool: SetnsPool;

  before(async function () {
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') throw new Error('expected to run as root under CI=true: entering network namespaces needs it');
      this.skip();
    }
    ports = await loopbackPorts();
    isolated = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
    dropping = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && iptables -A INPUT -p tcp --dport 9 -j DROP && echo ready && exec sleep 600'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [ready] = (await once(dropping.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    assert.equal(ready.toString().trim(), 'ready');
    // Grows at once, so that tasks run on several threads.
    pool = new SetnsPool({ thread: proberProgram().thread, size: 2, growAfterMs: 0 });
  });

  after(async () => {
    await pool?.close();
    isolated?.kill();
    dropping?.kill();
    await ports?.close();
  });

  const checkOpenPort = () => [{ id: 'open', host: '127.0.0.1', port: ports.open, timeoutMs: 2000 }];

  async function reasonFrom(pid: number): Promise<string | undefined> {
    const output = await pool.run({ pid, checks: checkOpenPort() });
    return output.results[0]?.reason;
  }

  it("runs the checks in the container's namespace, and this process stays in its own", async () => {
    assert.equal(await reasonFrom(isolated.pid as number), 'NetworkUnreachable', 'loopback is down in the fresh namespace: no route');
    assert.equal(await reasonFrom(process.pid), 'Connected');
  });

  it('keeps each task in its own namespace when more tasks than threads run at once', async () => {
    const pids = Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? (isolated.pid as number) : process.pid));
    const reasons = await Promise.all(pids.map((pid) => reasonFrom(pid)));
    assert.deepEqual(
      reasons,
      pids.map((pid) => (pid === process.pid ? 'Connected' : 'NetworkUnreachable')),
    );
  });

  it('fails, naming the namespace, for a process that is gone; the pool goes on', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    await assert.rejects(pool.run({ pid: gone.pid as number, checks: checkOpenPort() }), new RegExp(`/proc/${gone.pid}/ns/net`));
    assert.equal(await reasonFrom(process.pid), 'Connected');
  });

  it('does a round of checks that answer at once on one thread', async () => {
    const lean = new SetnsPool({ thread: proberProgram().thread, growAfterMs: 2000 });
    try {
      const outputs = await Promise.all(Array.from({ length: 12 }, () => lean.run({ pid: process.pid, checks: checkOpenPort() })));
      assert.deepEqual(new Set(outputs.map((output) => output.results[0]?.reason)), new Set(['Connected']));
      assert.equal(lean.threads, 1);
    } finally {
      await lean.close();
    }
  });

  it('keeps one thread for a long queue of checks that answer at once', async () => {
    const lean = new SetnsPool({ thread: proberProgram().thread, growAfterMs: 300 });
    try {
      // The first task starts the thread, which may take longer than `growAfterMs` on a busy machine.
      await lean.run({ pid: process.pid, checks: checkOpenPort() });
      const outputs = await Promise.all(Array.from({ length: 400 }, () => lean.run({ pid: process.pid, checks: checkOpenPort() })));
      assert.deepEqual(new Set(outputs.map((output) => output.results[0]?.reason)), new Set(['Connected']));
      assert.equal(lean.threads, 1);
    } finally {
      await lean.close();
    }
  });

  it('starts more threads while tasks wait on checks that time out, up to its size', async () => {
    const growing = new SetnsPool({ thread: proberProgram().thread, size: 3, growAfterMs: 50 });
    try {
      const waiting = Array.from({ length: 5 }, () => growing.run({ pid: dropping.pid as number, checks: [{ id: 'dropped', host: '127.0.0.1', port: 9, timeoutMs: 1500 }] }));
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(growing.threads, 3);
      const outputs = await Promise.all(waiting);
      assert.deepEqual(
        outputs.map((output) => output.results[0]?.reason),
        ['Timeout', 'Timeout', 'Timeout', 'Timeout', 'Timeout'],
      );
    } finally {
      await growing.close();
    }
  });

  it('ends the threads a slow round added once they idle for `idleMs`, keeping one', async () => {
    const shrinking = new SetnsPool({ thread: proberProgram().thread, size: 3, growAfterMs: 50, idleMs: 300 });
    try {
      await Promise.all(Array.from({ length: 3 }, () => shrinking.run({ pid: dropping.pid as number, checks: [{ id: 'dropped', host: '127.0.0.1', port: 9, timeoutMs: 600 }] })));
      assert.equal(shrinking.threads, 3);
      const deadline = Date.now() + 10_000;
      while (shrinking.threads > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(shrinking.threads, 1);
      assert.equal(await shrinking.run({ pid: process.pid, checks: checkOpenPort() }).then((output) => output.results[0]?.reason), 'Connected');
    } finally {
      await shrinking.close();
    }
  });

  it('on close, fails the task in flight and the waiting ones, and ends its threads', async () => {
    const closing = new SetnsPool({ thread: proberProgram().thread, size: 1 });
    const dropped = () => closing.run({ pid: dropping.pid as number, checks: [{ id: 'dropped', host: '127.0.0.1', port: 9, timeoutMs: 5000 }] });
    const settled = Promise.allSettled([dropped(), dropped()]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await closing.close();
    const [inFlight, waiting] = await settled;
    assert.match(inFlight.status === 'rejected' ? String(inFlight.reason) : 'fulfilled', /exited/);
    assert.match(waiting.status === 'rejected' ? String(waiting.reason) : 'fulfilled', /closed/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(closing.threads, 0);
  });
});
