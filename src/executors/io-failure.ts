/**
 * @module executors/io-failure
 * An I/O error of baton's own while it runs one attempt — opening or writing the attempt's
 * log, its output folder or file, spawning its process — turned into that attempt's
 * failure, so it fails the attempt and never the process (nor the other runs).
 */
import type { Failure } from '../core/index.js';
import { errorMessage, systemErrorCode } from '../shared/index.js';

/** Error codes that a later try may not meet again (space freed, descriptors closed). */
const TRANSIENT = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO', 'ENOMEM']);

/** Plain words for the usual codes (Node's own message repeats the path). */
const REASONS: Partial<Record<string, string>> = {
  ENAMETOOLONG: 'the file name is too long (ENAMETOOLONG)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  ENOTDIR: 'a part of the path is a file, not a folder (ENOTDIR)',
  EEXIST: 'a part of the path is a file, not a folder (EEXIST)',
  EROFS: 'the file system is read-only (EROFS)',
  EMFILE: "too many open files in this process (EMFILE): raise the limit (ulimit -n) or lower the engine's slots",
  ENFILE: 'too many open files on this machine (ENFILE)',
};

/**
 * The failure of an attempt whose own file or process could not be handled.
 *
 * `ENOSPC` (and `EDQUOT`) give type `disk-full`; every other error type `io-error`. Both
 * name the path and what it was for, keep the system error code in `details.code`, and
 * are retryable when the condition may pass (a full disk, too many open files) and not
 * when it cannot (`ENAMETOOLONG`, `EACCES`, `ENOTDIR`).
 * @param e - what was thrown or emitted.
 * @param what - what the path is for, e.g. `the attempt's log`.
 * @param path - the file or folder the operation was on.
 */
export function ioFailure(e: unknown, what: string, path: string): Failure {
  const code = systemErrorCode(e);
  const details = { path, ...(code !== undefined ? { code } : {}) };
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return {
      type: 'disk-full',
      message: `no space left for ${what} at ${path} (${code}): free space on that disk (old logs under logs/, old runs), then retry`,
      retryable: true,
      details,
    };
  }
  const why = (code !== undefined ? REASONS[code] : undefined) ?? errorMessage(e);
  return { type: 'io-error', message: `${what} at ${path} failed: ${why}`, retryable: code !== undefined && TRANSIENT.has(code), details };
}
