/**
 * @module server/upload-retention
 * Retention of staged uploads (server/uploads.ts), as one more kind of the retention loop
 * (`uploads`, observe/retention.ts): an upload no run was started over goes once it is older
 * than the kind's age (7 days by default); one that runs were started over goes once every
 * run its manifest names is gone from the store (retired by the `runs` retention), whatever
 * its age, since those runs no longer need its files. Either way an upload stays while an
 * unfinished run's params name its folder (a run retried as a new run, or started by hand
 * with its paths, is not in the manifest). Half-written uploads (`<id>.partial`, left by a
 * crash mid-upload) go by the same age, from their folder's modification time.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Prunable } from '../observe/index.js';
import type { Store } from '../store/index.js';
import type { UploadManifest } from './uploads.js';

/** 7 days, ms: the default age of an upload no run was started over. */
export const DEFAULT_UPLOAD_RETENTION_MS = 7 * 86_400_000;

const UPLOAD_DIR_RE = /^[0-9a-f]{16}(\.partial)?$/;
/** Unfinished runs read per page while looking for those that name an upload's folder. */
const ACTIVE_PAGE = 500;

/**
 * The `uploads` kind of retention for the uploads under `<dataDir>/uploads`.
 * @param store - where the runs an upload names are looked up.
 * @example
 * new Pruner({ store, dataDir, extra: [uploadsPrunable(dataDir, store)] })
 */
export function uploadsPrunable(dataDir: string, store: Store): Prunable {
  const root = join(dataDir, 'uploads');
  return {
    kind: 'uploads',
    defaultAgeMs: DEFAULT_UPLOAD_RETENTION_MS,
    async pruneBatch(olderThanMs, limit) {
      const due = await dueUploads(root, store, olderThanMs, limit);
      for (const name of due) await rm(join(root, name), { recursive: true, force: true });
      return due.length;
    },
    count: async (olderThanMs) => (await dueUploads(root, store, olderThanMs, Infinity)).length,
  };
}

/** Folder names under `root` whose uploads retention removes now, at most `limit`. */
async function dueUploads(root: string, store: Store, olderThanMs: number, limit: number): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => UPLOAD_DIR_RE.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const due: string[] = [];
  let active: Set<string> | undefined;
  for (const name of names) {
    if (due.length >= limit) break;
    const dir = join(root, name);
    const manifest = name.endsWith('.partial') ? undefined : await readManifest(dir);
    if (!manifest) {
      // A partial upload, or one whose manifest is unreadable: its folder's age decides.
      const mtime = await stat(dir).then((s) => s.mtimeMs, () => undefined);
      if (mtime !== undefined && mtime < olderThanMs) due.push(name);
      continue;
    }
    const runs = manifest.runs ?? [];
    if (runs.length === 0 ? manifest.createdAt >= olderThanMs : await anyExists(store, runs)) continue;
    active ??= await activeParamsText(store);
    // As the folder appears inside params' JSON text (a quote or backslash escaped).
    const quoted = JSON.stringify(manifest.dir).slice(1, -1);
    if ([...active].some((p) => p.includes(quoted))) continue;
    due.push(name);
  }
  return due;
}

async function readManifest(dir: string): Promise<UploadManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as UploadManifest;
  } catch {
    return undefined;
  }
}

async function anyExists(store: Store, runIds: readonly string[]): Promise<boolean> {
  for (const id of runIds) if (await store.getRun(id)) return true;
  return false;
}

/** The params of every pending, queued or running run, as JSON text. */
async function activeParamsText(store: Store): Promise<Set<string>> {
  const out = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.api.queryRuns({ state: ['pending', 'queued', 'running'], limit: ACTIVE_PAGE, ...(cursor !== undefined ? { cursor } : {}) });
    for (const r of page.runs) out.add(JSON.stringify(r.params));
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}
