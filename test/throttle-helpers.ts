/** What the adaptive-throttle tests share. */
import type { HostReading, HostSampler } from '../src/runtime/index.js';

/** A real sampler that keeps every reading it gave, so a test can say what the machine showed. */
export function recording(inner: HostSampler): HostSampler & { readings: HostReading[] } {
  const readings: HostReading[] = [];
  return {
    readings,
    sample() {
      const r = inner.sample();
      readings.push(r);
      return r;
    },
    close: () => inner.close(),
  };
}
