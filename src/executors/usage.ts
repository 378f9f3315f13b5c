/**
 * @module executors/usage
 * Resource usage of a shell step's process, sampled from Linux /proc while it runs: Node
 * reaps children itself and exposes no rusage for them, so a sample is the only way in.
 * Figures cover the step's process group; CPU time of a process that exited between two
 * samples is counted only through its parent's `cutime`. A step shorter than the first
 * sample (50 ms) reports nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Latest figures of one process group. */
export interface Usage {
  /** Peak resident memory of the group's processes together (sum of RSS at a sample), bytes. */
  peakRssBytes?: number;
  /** CPU time, user + system, of the group's processes and the children they waited for, ms. */
  cpuMs?: number;
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every mainstream Linux build (USER_HZ). */
const TICKS_PER_SECOND = 100;
/** Bytes per page for the `rss` field; 4 KiB on x86-64 and on most arm64 kernels. */
const PAGE_BYTES = 4096;

/**
 * Sums one sample over every process whose process group is `pgid` (a step runs in its own
 * group, so this is the step's process tree). Undefined when none is left.
 */
export function sampleUsage(pgid: number): Usage | undefined {
  let ticks = 0;
  let rssPages = 0;
  let found = false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => n.charCodeAt(0) <= 57);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // After "(comm) ": state, ppid, pgrp, ...; utime..cstime are fields 14..17, rss is 24.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    found = true;
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    rssPages += Number(f[21]);
  }
  return found ? { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, peakRssBytes: rssPages * PAGE_BYTES } : undefined;
}

/** Limits a step's process group is held to by its sampler (the step's `memory` and `cpu`). */
export interface GroupLimits {
  /** Resident memory of the group together, bytes: over it, `onOverMemory` is called once. */
  maxRssBytes?: number;
  /** Called once with the sampled RSS when it passes `maxRssBytes`; the caller kills the group. */
  onOverMemory?: (rssBytes: number) => void;
  /** Cores the group may use: over it in a window, the group is stopped for the excess. */
  cpuCores?: number;
}

/** How often a group with limits is sampled, ms: short, so a burst is caught early. */
export const LIMIT_SAMPLE_MS = 100;

/** A watched group: its usage so far; `stop` also continues a group the sampler had stopped. */
export interface UsageWatch {
  stop(): Usage;
  /** Continues the group if the CPU limit has it stopped (before a signal it must handle). */
  release(): void;
}

/**
 * Samples a process group at 50 ms, 250 ms, then every second until `stop()`, keeping the peak
 * memory and the latest CPU time; with `limits`, every {@link LIMIT_SAMPLE_MS} ms, enforcing
 * them. cgroup v2 (`memory.max`, `cpu.max`) would bound the tree in the kernel, but needs a
 * delegated cgroup baton may write, which neither containers nor most hosts give it; the
 * sampler works everywhere on Linux: a memory limit is checked against the group's summed RSS
 * (a burst between two samples may pass it for up to 100 ms), a CPU limit is enforced by
 * stopping the group (SIGSTOP) for as long as it used more than `cpuCores` × the window, then
 * continuing it (SIGCONT). Does nothing off Linux.
 */
export function watchUsage(pgid: number, limits: GroupLimits = {}): UsageWatch {
  const usage: Usage = {};
  if (process.platform !== 'linux') return { stop: () => usage, release: () => undefined };
  const limited = limits.maxRssBytes !== undefined || limits.cpuCores !== undefined;
  let over = false;
  let stopped = false;
  let resume: NodeJS.Timeout | undefined;
  let last: { at: number; cpuMs: number } | undefined;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is gone
    }
  };
  const cont = (): void => {
    if (resume) clearTimeout(resume);
    resume = undefined;
    if (!stopped) return;
    stopped = false;
    signal('SIGCONT');
  };
  const take = (): void => {
    const u = sampleUsage(pgid);
    if (!u) return;
    if (u.cpuMs !== undefined) usage.cpuMs = u.cpuMs;
    if (u.peakRssBytes !== undefined) usage.peakRssBytes = Math.max(usage.peakRssBytes ?? 0, u.peakRssBytes);
    if (!over && limits.maxRssBytes !== undefined && (u.peakRssBytes ?? 0) > limits.maxRssBytes) {
      over = true;
      limits.onOverMemory?.(u.peakRssBytes!);
    }
    const now = performance.now();
    if (limits.cpuCores === undefined || u.cpuMs === undefined || stopped) return;
    if (last) {
      const excess = u.cpuMs - last.cpuMs - limits.cpuCores * (now - last.at);
      if (excess > 0) {
        // Stopped until the window's budget has caught up with what it used; unused budget
        // is not saved up, so an idle step cannot burst past its limit later.
        const pauseMs = excess / limits.cpuCores;
        stopped = true;
        signal('SIGSTOP');
        resume = setTimeout(cont, pauseMs);
        resume.unref();
        last = { at: now + pauseMs, cpuMs: u.cpuMs };
        return;
      }
    }
    last = { at: now, cpuMs: u.cpuMs };
  };
  const delays = limited ? [50] : [50, 200];
  let timer: NodeJS.Timeout;
  const next = (): void => {
    timer = setTimeout(() => {
      take();
      next();
    }, delays.shift() ?? (limited ? LIMIT_SAMPLE_MS : 1000));
    timer.unref();
  };
  next();
  return {
    stop() {
      clearTimeout(timer);
      cont();
      return usage;
    },
    release: cont,
  };
}
