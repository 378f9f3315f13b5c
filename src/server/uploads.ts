/**
 * @module server/uploads
 * Staged uploads: the files a person drops onto the dashboard, kept under
 * `<dataDir>/uploads/<id>/files/` with their folder structure, listed in a manifest that
 * also names the runs started over them (for retention: server/upload-retention.ts). An upload is all or nothing:
 * a file over a limit, a name that could escape the folder or a broken request removes
 * what was written, and the error names the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WorkflowSpec } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import { ApiError } from './errors.js';

/** Limits of one upload. Every one is checked while the bytes arrive, not after. */
export interface UploadLimits {
  /** Largest file, bytes. @default 100 MiB */
  maxFileBytes: number;
  /** Most files in one upload. @default 10 000 */
  maxFiles: number;
  /** Largest upload, all files together, bytes. @default 1 GiB */
  maxTotalBytes: number;
}

/** {@link UploadLimits} by default. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxFileBytes: 100 * 1024 * 1024, maxFiles: 10_000, maxTotalBytes: 1024 * 1024 * 1024 };

/** A staged file. */
export interface UploadedFile {
  /** Its path inside the upload, `/`-separated, as the browser sent it (a dropped folder keeps its structure). */
  path: string;
  /** Bytes. */
  size: number;
  /** SHA-256 of the content, hex: the same file dropped twice is seen as such. */
  sha256: string;
  /** What is wrong with it that a run may mind (`empty`); absent when nothing is. */
  problem?: string;
}

/** An upload's manifest (`manifest.json` beside its files). */
export interface UploadManifest {
  id: string;
  /** ms since the epoch. */
  createdAt: number;
  /** The token name that uploaded it. */
  by: string;
  files: UploadedFile[];
  /** Sum of the files' sizes, bytes. */
  bytes: number;
  /** The absolute folder the files are in: what a run's param receives. */
  dir: string;
  /** The runs started over it, in start order; absent until the first. */
  runs?: string[];
}

/** One file of a multipart request, as @fastify/multipart hands it over. */
export interface IncomingFile {
  filename: string;
  file: NodeJS.ReadableStream & { truncated?: boolean };
}

const ID_RE = /^[0-9a-f]{16}$/;
/** Longest path inside an upload, and longest segment, in UTF-8 bytes (a segment: most file systems' NAME_MAX). */
const MAX_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/**
 * A browser-sent file name as a safe relative path: `\` read as `/`, no empty, `.` or `..`
 * segment, no control character, bounded. @throws ApiError 400 `bad-file-name`
 */
export function safeUploadPath(name: string): string {
  const segments = name.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  const problem = segments.length === 0 ? 'it is empty'
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    : segments.some((s) => s === '..') ? 'it climbs out of the upload (..)' : /[\u0000-\u001f\u007f]/.test(name) ? 'it has a control character'
      : segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES) ? `a part of it is over ${MAX_SEGMENT_BYTES} bytes`
        : Buffer.byteLength(segments.join('/')) > MAX_PATH_BYTES ? `it is over ${MAX_PATH_BYTES} bytes` : undefined;
  if (problem) throw new ApiError(400, 'bad-file-name', `file name ${JSON.stringify(name.slice(0, 200))} cannot be staged: ${problem}`);
  return segments.join('/');
}

function uploadsRoot(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/** The folder of upload `id`. @throws ApiError 404 for an id that is not one */
export function uploadDir(dataDir: string, id: string): string {
  if (!ID_RE.test(id)) throw new ApiError(404, 'upload-not-found', `no upload '${id.slice(0, 40)}'`);
  return join(uploadsRoot(dataDir), id);
}

/**
 * Writes every file of `files` into a new upload and its manifest; on any failure removes
 * the partial upload and throws. @throws ApiError 400 (bad or duplicate name, no file), 413
 * (`file-too-large`, `upload-too-large`, `too-many-files`)
 */
export async function stageUpload(dataDir: string, files: AsyncIterable<IncomingFile>, limits: UploadLimits, by: string, now: number): Promise<UploadManifest> {
  const id = randomBytes(8).toString('hex');
  const root = uploadDir(dataDir, id);
  // Written under a temporary name, renamed when whole: a crash mid-upload leaves no
  // upload that looks complete.
  const partial = `${root}.partial`;
  const dir = join(partial, 'files');
  await mkdir(dir, { recursive: true });
  const staged: UploadedFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  try {
    for await (const part of files) {
      const path = safeUploadPath(part.filename);
      if (seen.has(path)) throw new ApiError(400, 'duplicate-file', `file '${path}' is in the upload twice`);
      if (seen.size >= limits.maxFiles) throw new ApiError(413, 'too-many-files', `the upload has more than ${limits.maxFiles} files`);
      seen.add(path);
      const target = join(dir, path);
      await mkdir(dirname(target), { recursive: true });
      const hash = createHash('sha256');
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          total += chunk.length;
          if (size > limits.maxFileBytes) return done(new ApiError(413, 'file-too-large', `file '${path}' is over ${limits.maxFileBytes} bytes, the largest one upload may hold`));
          if (total > limits.maxTotalBytes) return done(new ApiError(413, 'upload-too-large', `the upload is over ${limits.maxTotalBytes} bytes at file '${path}'`));
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(part.file, count, createWriteStream(target, { flags: 'wx' }));
      if (part.file.truncated) throw new ApiError(413, 'file-too-large', `file '${path}' is over ${limits.maxFileBytes} bytes, the largest one upload may hold`);
      staged.push({ path, size, sha256: hash.digest('hex'), ...(size === 0 ? { problem: 'empty' } : {}) });
    }
    if (staged.length === 0) throw new ApiError(400, 'no-files', 'the upload holds no file: send them as multipart/form-data file parts');
    staged.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest: UploadManifest = { id, createdAt: now, by, files: staged, bytes: total, dir: join(root, 'files') };
    await writeFile(join(partial, 'manifest.json'), JSON.stringify(manifest));
    await rename(partial, root);
    return manifest;
  } catch (e) {
    await rm(partial, { recursive: true, force: true });
    throw e;
  }
}

/** Reads upload `id`'s manifest. @throws ApiError 404 */
export async function readUpload(dataDir: string, id: string): Promise<UploadManifest> {
  try {
    return JSON.parse(await readFile(join(uploadDir(dataDir, id), 'manifest.json'), 'utf8')) as UploadManifest;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(404, 'upload-not-found', `no upload '${id}'`);
  }
}

/**
 * Adds `runId` to upload `id`'s manifest, replaced whole (written beside it, then renamed)
 * so a crash leaves the old manifest or the new one, never half of one. Two runs started
 * over one upload at the same moment may keep one name only: retention then also looks
 * for active runs reading the folder before it removes it.
 * @throws ApiError 404
 */
export async function recordUploadRun(dataDir: string, id: string, runId: string): Promise<UploadManifest> {
  const manifest = await readUpload(dataDir, id);
  const next: UploadManifest = { ...manifest, runs: [...(manifest.runs ?? []), runId] };
  const file = join(uploadDir(dataDir, id), 'manifest.json');
  await writeFile(`${file}.${runId}.tmp`, JSON.stringify(next));
  await rename(`${file}.${runId}.tmp`, file);
  return next;
}

/** Removes upload `id` and its files. @throws ApiError 404 */
export async function deleteUpload(dataDir: string, id: string): Promise<void> {
  await readUpload(dataDir, id);
  await rm(uploadDir(dataDir, id), { recursive: true, force: true });
}

/**
 * The param a run over an upload receives, and its value: an `array` param gets the files'
 * absolute paths (in path order), a `string` param the folder. Without `param`, the one the
 * workflow's batch step reads as `items: "${{ params.NAME }}"`. @throws ApiError 400
 * (`no-batch-step`, `param-needed`, `bad-param`)
 */
export function uploadParam(spec: WorkflowSpec, upload: UploadManifest, param?: string): { name: string; value: JsonValue } {
  const batchSteps = spec.steps.filter((s) => s.batch !== undefined);
  if (batchSteps.length === 0) throw new ApiError(400, 'no-batch-step', `workflow '${spec.name}' has no step with \`batch:\`: a folder of files is processed by one`);
  const declared = spec.params;
  let name = param;
  if (name === undefined) {
    name = batchSteps.map((s) => /^\$\{\{\s*params\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(s.batch!.items.trim())?.[1]).find((n) => n !== undefined);
  }
  const candidates = Object.entries(declared).filter(([, p]) => p.type === 'array' || p.type === 'string').map(([n]) => n);
  if (name === undefined) throw new ApiError(400, 'param-needed', `say which param of '${spec.name}' receives the files: one of ${candidates.join(', ') || '(none: declare an array or string param)'}`, { candidates });
  const p = declared[name];
  if (!p || (p.type !== 'array' && p.type !== 'string')) throw new ApiError(400, 'bad-param', `'${name}' is not an array or string param of '${spec.name}'; one of ${candidates.join(', ') || '(none)'}`, { candidates });
  return { name, value: p.type === 'array' ? upload.files.map((f) => join(upload.dir, f.path)) : upload.dir };
}
