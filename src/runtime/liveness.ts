import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunRecord } from '../store/index.js';

/**
 * Whether a process with this pid is alive on this host (EPERM means it exists). A zombie
 * (killed, not yet reaped by its parent) counts as dead: it will never renew a lease.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces and parens, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Whether the recorded holder of a run is certainly gone: it ran on this host and its pid
 * no longer exists. A holder on another host is judged by its lease alone.
 */
export function isOwnerDead(r: RunRecord): boolean {
  if (r.ownerPid === undefined || r.ownerHost !== hostname()) return false;
  return r.ownerPid === process.pid ? false : !pidAlive(r.ownerPid);
}

/**
 * Ends what an interrupted attempt left running: every process group holding a process whose
 * environment carries the attempt's id (`BATON_ATTEMPT_ID`, also as the prefix of a batch
 * group's id), found by reading /proc, plus the group of the recorded pid when its leader is
 * gone (Linux does not reuse a pid as a new group id while the old group has members, so it
 * names only leftovers). A process that cleared its environment is still caught by its group.
 * Linux only; elsewhere nothing is done. Returns the number of groups signalled.
 */
export function killOrphanGroups(attemptId: string, pidHint?: number): number {
  if (process.platform !== 'linux') return 0;
  const groups = new Set<number>();
  if (pidHint !== undefined && !existsSync(`/proc/${pidHint}`)) groups.add(pidHint);
  const exact = `BATON_ATTEMPT_ID=${attemptId}`;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57);
  } catch {
    pids = [];
  }
  for (const pid of pids) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!env.some((e) => e === exact || e.startsWith(`${exact}.`))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      groups.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  const own = ownGroup();
  let signalled = 0;
  for (const g of groups) {
    if (!(g > 1) || g === own) continue;
    try {
      process.kill(-g, 'SIGKILL');
      signalled++;
    } catch {
      // the group is gone
    }
  }
  return signalled;
}

/** This process's group id (never signalled by the sweep above). */
function ownGroup(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}
