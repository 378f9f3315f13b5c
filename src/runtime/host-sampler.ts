/**
 * @module runtime/host-sampler
 * Samples the host for the throttle (core/throttle.ts): CPU in use since the previous sample
 * (the deltas of /proc/stat's first line), memory in use (/proc/meminfo's `MemTotal` minus
 * `MemAvailable`) and the event loop's delay p99 (`perf_hooks.monitorEventLoopDelay`, reset
 * at each sample). Reading two small /proc files costs far less than `systeminformation`,
 * which spawns or parses much more for the same numbers. Off Linux: the 1-minute load
 * average per core and `os.freemem()`.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { HostSample } from '../core/index.js';

/** A host sample with the memory in bytes too (the worker's heartbeat reports bytes). */
export interface HostReading extends HostSample {
  /** Memory in use, bytes. */
  memBytes: number;
}

/** Reads the host; `sample()` measures since the previous call. */
export interface HostSampler {
  sample(): HostReading;
  /** Stops the event-loop monitor. */
  close(): void;
}

/** CPU jiffies of /proc/stat's aggregate line: busy and total. */
interface CpuTimes {
  busy: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat, or undefined off Linux. */
export function readProcCpu(text?: string): CpuTimes | undefined {
  let s = text;
  if (s === undefined) {
    try {
      s = readFileSync('/proc/stat', 'utf8');
    } catch {
      return undefined;
    }
  }
  const line = s.split('\n', 1)[0];
  if (!line?.startsWith('cpu ')) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice, already in user/nice]
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Memory in use from /proc/meminfo (total minus available), or undefined off Linux. */
export function readProcMem(text?: string): { used: number; total: number } | undefined {
  let s = text;
  if (s === undefined) {
    try {
      s = readFileSync('/proc/meminfo', 'utf8');
    } catch {
      return undefined;
    }
  }
  const kib = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(s);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kib('MemTotal');
  const available = kib('MemAvailable');
  if (total === undefined || available === undefined || total <= 0) return undefined;
  return { used: total - available, total };
}

/**
 * A sampler of this host. The first sample's CPU is measured since the sampler was made.
 * @param cores - cores the load average is divided by off Linux. @default os.availableParallelism()
 */
export function hostSampler(cores = os.availableParallelism()): HostSampler {
  let lastCpu = readProcCpu();
  let lag: IntervalHistogram | undefined;
  try {
    lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
  } catch {
    lag = undefined; // not every runtime has it; lag is then not a signal
  }
  return {
    sample() {
      let cpu: number;
      const now = readProcCpu();
      if (now && lastCpu && now.total > lastCpu.total) cpu = (now.busy - lastCpu.busy) / (now.total - lastCpu.total);
      else cpu = os.loadavg()[0]! / cores;
      if (now) lastCpu = now;
      const mem = readProcMem() ?? { used: os.totalmem() - os.freemem(), total: os.totalmem() };
      let lagMs = 0;
      if (lag && lag.count > 0) {
        // The histogram counts the timer's resolution into every delay.
        lagMs = Math.max(0, lag.percentile(99) / 1e6 - 20);
        lag.reset();
      }
      return { cpu: Math.min(1, Math.max(0, cpu)), mem: mem.used / mem.total, memBytes: mem.used, lagMs };
    },
    close() {
      lag?.disable();
    },
  };
}
