import { readFileSync } from 'node:fs';
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
 * Ends the process group an interrupted attempt left behind, if any of it still runs.
 * While the leader lives, the group is signalled only when the leader's environment
 * carries this attempt's id, so a reused pid is never hit; once the leader is gone, Linux
 * does not hand its pid to a new process while the old group has members, so the group
 * id still names only the leftovers. Linux only (/proc); elsewhere nothing is done.
 */
export function killOrphanGroup(pid: number, attemptId: string): boolean {
  if (process.platform !== 'linux') return false;
  let env: string | undefined;
  try {
    env = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    env = undefined; // leader gone (or not ours to read)
  }
  if (env !== undefined && !env.split('\0').includes(`BATON_ATTEMPT_ID=${attemptId}`)) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
