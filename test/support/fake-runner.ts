import type { ProberCheck, ProberReason } from '../../src/probes/prober.js';
import type { ProberRun, ProberRunner, ProberSource } from '../../src/probes/prober-runner.js';

/** A prober that answers what the test says, per check name (default Connected), and records its calls. */
export class FakeRunner implements ProberRunner {
  readonly calls: { source?: ProberSource; checks: ProberCheck[] }[] = [];
  readonly reasons = new Map<string, ProberReason>();
  /** Set: the prober itself fails with this message. */
  failure: string | undefined;

  async run(request: { source?: ProberSource; checks: ProberCheck[] }): Promise<ProberRun> {
    this.calls.push(structuredClone(request));
    const method = request.source ? 'nsenter' : 'host';
    if (this.failure !== undefined) return { method, error: this.failure };
    return {
      method,
      results: request.checks.map((check) => ({
        id: check.id,
        reason: this.reasons.get(check.id) ?? 'Connected',
        resolvedAddresses: ['172.18.0.3'],
        durationMs: 2.5,
        message: 'fake',
      })),
    };
  }
}
