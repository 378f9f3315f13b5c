/**
 * @module web/pages/batches/upload
 * Files picked for an upload and their sending: a dropped folder is walked with
 * `webkitGetAsEntry()` (every directory read until it returns no more entries), each file
 * named by its path relative to the dropped folder; the upload is sent as multipart
 * form data with XMLHttpRequest, whose `upload.onprogress` reports the bytes sent (fetch
 * cannot), with the session cookie (same origin) and the CSRF header of every
 * state-changing request.
 */
import { ApiError, requestHeaders, toApiError } from '../../api/client.js';
import type { Upload } from './hooks.js';

/** A file to send, with its path inside the upload (`/`-separated). */
export interface PickedFile {
  path: string;
  file: File;
}

/**
 * Drops the first segment when every path starts with the same folder: a dropped or
 * picked folder's files are named relative to it (`data/a.csv` → `a.csv`).
 */
export function relativeToFolder(files: PickedFile[], fromFolder: boolean): PickedFile[] {
  if (!fromFolder || files.length === 0) return files;
  const first = files[0]!.path.split('/')[0];
  if (!files.every((f) => f.path.includes('/') && f.path.split('/')[0] === first)) return files;
  return files.map((f) => ({ ...f, path: f.path.slice(first!.length + 1) }));
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = [];
    // readEntries answers in chunks (100 in Chromium): read until it answers none.
    const next = (): void => reader.readEntries((chunk) => {
      if (!chunk.length) return resolve(out);
      out.push(...chunk);
      next();
    }, reject);
    next();
  });
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    out.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, path, out);
  }
}

/**
 * The files of a drop: folders walked, files as they are. Entries are taken from the
 * items synchronously (the list is emptied once the event handler returns), then read.
 */
export async function droppedFiles(data: DataTransfer): Promise<PickedFile[]> {
  const entries = [...data.items].filter((i) => i.kind === 'file').map((i) => i.webkitGetAsEntry());
  if (!entries.some((e) => e !== null)) return [...data.files].map((file) => ({ path: file.name, file }));
  const out: PickedFile[] = [];
  for (const e of entries) if (e) await walk(e, '', out);
  const oneFolder = entries.length === 1 && entries[0]?.isDirectory === true;
  return relativeToFolder(out.sort((a, b) => a.path.localeCompare(b.path)), oneFolder);
}

/** The files of an `<input type=file>` (with `webkitdirectory`: named by `webkitRelativePath`). */
export function pickedFiles(list: FileList, fromFolder: boolean): PickedFile[] {
  const files = [...list].map((file) => ({ path: fromFolder && file.webkitRelativePath ? file.webkitRelativePath : file.name, file }));
  return relativeToFolder(files.sort((a, b) => a.path.localeCompare(b.path)), fromFolder);
}

/** Bytes sent of bytes to send. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Sends `files` to `POST /api/v1/uploads`, reporting progress.
 * @throws ApiError with the API's code (`file-too-large`, `too-many-files`, `bad-file-name`…), or `network`
 */
export function sendUpload(files: readonly PickedFile[], onProgress: (p: UploadProgress) => void, signal?: AbortSignal): Promise<Upload> {
  const form = new FormData();
  for (const f of files) form.append('file', f.file, f.path);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads');
    xhr.withCredentials = true;
    // No Content-Type: the browser writes multipart/form-data with its boundary.
    for (const [k, v] of Object.entries(requestHeaders('POST'))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body as Upload);
      else reject(toApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'cannot reach the server: the upload was interrupted'));
    xhr.onabort = () => reject(new DOMException('the upload was stopped', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
