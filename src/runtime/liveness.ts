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
 * Whether a run is held by a live process: it has a holder, the holder's lease has not
 * expired at `now` (ms, the store's clock), and the holder is not certainly dead
 * ({@link isOwnerDead}). The one answer to "may another process take this run over?".
 */
export function holderAlive(r: RunRecord, now: number): boolean {
  return r.owner !== undefined && (r.leaseExpiresAt ?? 0) >= now && !isOwnerDead(r);
}

/**
 * Ends what interrupted attempts left running: every process group holding a process whose
 * environment carries one of their ids (`BATON_ATTEMPT_ID`, also as the prefix of a batch
 * group's id), found in one pass over /proc, plus the group of each recorded pid whose leader
 * is gone (Linux does not reuse a pid as a new group id while the old group has members, so
 * it names only leftovers). A process that cleared its environment is still caught by its
 * group. Linux only; elsewhere nothing is done. Returns the number of groups signalled.
 */
export function killOrphanGroups(attempts: readonly { id: string; pid?: number }[]): number {
  if (process.platform !== 'linux' || attempts.length === 0) return 0;
  const groups = new Set<number>();
  for (const a of attempts) if (a.pid !== undefined && !existsSync(`/proc/${a.pid}`)) groups.add(a.pid);
  const ids = new Set(attempts.map((a) => a.id));
  const prefix = 'BATON_ATTEMPT_ID=';
  // A batch group's id is `<attempt id>.<group tag>`: its attempt id is everything before a dot
  // that follows the attempt number, so match the whole value or any of its dotted prefixes.
  const ours = (value: string): boolean => {
    for (let i = value.length; i > 0; i = value.lastIndexOf('.', i - 1)) if (ids.has(value.slice(0, i))) return true;
    return false;
  };
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57);
  } catch {
    pids = [];
  }
  for (const pid of pids) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!env.some((e) => e.startsWith(prefix) && ours(e.slice(prefix.length)))) continue;
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
