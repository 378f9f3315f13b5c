import { describe, expect, it } from 'vitest';
import { hostSampler, readProcCpu, readProcMem } from './host-sampler.js';

describe('host sampler', () => {
  it("reads /proc/stat's aggregate line: idle and iowait are not busy, guest time is not counted twice", () => {
    const stat = 'cpu  100 5 50 800 40 3 2 0 30 0\ncpu0 50 2 25 400 20 1 1 0 15 0\nintr 1\n';
    expect(readProcCpu(stat)).toEqual({ busy: 160, total: 1000 });
    expect(readProcCpu('intr 1\n')).toBeUndefined();
  });

  it('reads memory in use from /proc/meminfo as total minus available, in bytes', () => {
    const meminfo = 'MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\nBuffers: 1 kB\n';
    expect(readProcMem(meminfo)).toEqual({ used: 600 * 1024, total: 1000 * 1024 });
    expect(readProcMem('MemTotal: 1000 kB\n')).toBeUndefined();
  });

  it('samples this host within range', () => {
    const s = hostSampler();
    try {
      const r = s.sample();
      for (const v of [r.cpu, r.mem]) expect(v >= 0 && v <= 1).toBe(true);
      expect(r.memBytes).toBeGreaterThan(0);
      expect(r.lagMs).toBeGreaterThanOrEqual(0);
    } finally {
      s.close();
    }
  });
});
