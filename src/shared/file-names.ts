/**
 * @module shared/file-names
 * File names made from user text (run ids, step ids), bounded and encoded.
 *
 * A step id is user text: 250 characters of it make a file name past the 255-byte
 * `NAME_MAX` of ext4, XFS and tmpfs (opening it fails with `ENAMETOOLONG`), and a `/` or a
 * leading `..` would leave the folder meant for it. A name that is short and made of
 * `[A-Za-z0-9._-]` is kept as it is, so the logs baton wrote before keep their names.
 */
import { createHash } from 'node:crypto';

/** Longest name part {@link fileNamePart} returns, characters (= bytes: ASCII only). */
export const MAX_NAME_PART = 100;

const PLAIN = /^[A-Za-z0-9._-]+$/;

/**
 * `text` as one safe component of a file name: unchanged when it has at most `max`
 * characters, all in `[A-Za-z0-9._-]`, and is not `.` or `..`; otherwise a readable prefix
 * (other characters as `_`) plus `-` and 12 hex digits of its SHA-256, `max` characters at
 * most. Distinct texts give distinct names (up to a 48-bit hash collision).
 * @param max - longest result, characters; at least 20. @default 100 ({@link MAX_NAME_PART})
 * @example fileNamePart('build') // 'build'
 * @example fileNamePart('a/b c') // 'a_b_c-3f1e…' (12 hex digits)
 */
export function fileNamePart(text: string, max = MAX_NAME_PART): string {
  if (text.length <= max && PLAIN.test(text) && text !== '.' && text !== '..') return text;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  // A leading dot would make a hidden file, or `..` a path step.
  const readable = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, Math.max(0, max - hash.length - 1));
  return `${readable}-${hash}`;
}
