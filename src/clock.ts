/** Time as mooring sees it; tests inject a fake (sinon fake timers drive `setTimeout` too). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
