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

/**
 * Samples a process group at 50 ms, 250 ms, then every second until `stop()`, keeping the peak
 * memory and the latest CPU time. Does nothing off Linux.
 */
export function watchUsage(pgid: number): { stop(): Usage } {
  const usage: Usage = {};
  if (process.platform !== 'linux') return { stop: () => usage };
  const take = (): void => {
    const u = sampleUsage(pgid);
    if (!u) return;
    if (u.cpuMs !== undefined) usage.cpuMs = u.cpuMs;
    if (u.peakRssBytes !== undefined) usage.peakRssBytes = Math.max(usage.peakRssBytes ?? 0, u.peakRssBytes);
  };
  const delays = [50, 200];
  let timer: NodeJS.Timeout;
  const next = (): void => {
    timer = setTimeout(() => {
      take();
      next();
    }, delays.shift() ?? 1000);
    timer.unref();
  };
  next();
  return {
    stop() {
      clearTimeout(timer);
      return usage;
    },
  };
}
