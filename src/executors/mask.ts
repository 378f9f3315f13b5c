/**
 * @module executors/mask
 * Secret masking: replaces every occurrence of a secret value by `***` in text, JSON and
 * byte streams. Pure (no I/O), so the executors, the store-facing runtime and an HTTP
 * server can all mask with the same rules. Overlapping occurrences (of one secret, or of
 * two secrets that share characters) are merged into one masked span, so no fragment of
 * either survives.
 *
 * Each secret is looked for in several forms: as it is, JSON-escaped (how it appears inside
 * a JSON text: a PEM's newlines as `\n`, `"` as `\"`), and, for a multi-line secret, each
 * of its lines on its own, as GitHub Actions masks multi-line secrets.
 */
import type { JsonValue } from '../shared/index.js';

/** What a masked span becomes. */
export const SECRET_MASK = '***';

/**
 * Shortest secret value that is masked, in UTF-16 code units. Shorter values are passed to
 * steps but never masked: masking `on` or `42` would scramble every log that contains the
 * word or number by chance, and the pattern of masks would itself reveal the value. Keep real
 * secrets long (tokens, keys); a value this short is not secret enough to need masking.
 */
export const MIN_MASKED_LENGTH = 4;

/** Masks a byte stream written in chunks; one per stream (stdout and stderr each get one). */
export interface MaskStream {
  /**
   * Masks a chunk and returns what is safe to emit now. Fewer than `2 * maxLength` bytes (the
   * longest form of any value, its JSON-escaped form included) may be
   * held back, so that a secret split across chunks is still found; they come out of a
   * later call or of {@link MaskStream.end}.
   */
  write(chunk: Buffer): Buffer;
  /** Masks and returns whatever is held back. */
  end(): Buffer;
}

/** Masks secret values; made by {@link createMasker}. */
export interface Masker {
  /** False when no value is long enough to mask: every method then returns its input. */
  readonly active: boolean;
  /** Length of the longest masked form of a value (see {@link secretForms}), UTF-8 bytes (0 when inactive). */
  readonly maxLength: number;
  /** The text with every occurrence of every form of every value replaced by `***`. */
  mask(text: string): string;
  /**
   * The text masked, then shortened to at most `max` UTF-16 code units (the last one an
   * ellipsis `…` when it was cut). Masking first is the point: a text cut first can end in
   * the first characters of a secret, which no longer match it. Use it wherever a text that
   * may hold a secret is shortened to be quoted in an error or shown.
   */
  maskThenTruncate(text: string, max: number): string;
  /** A copy of the value with every string (object keys included) masked; other scalars as they are. */
  maskJson(value: JsonValue): JsonValue;
  /** A new stream masker for bytes written in chunks (child stdout, stderr). */
  stream(): MaskStream;
}

/**
 * The forms in which a secret value is masked: the value itself; its JSON-escaped form
 * (`JSON.stringify(value)` without the quotes), when that differs; and, for a value of
 * several lines (split at `\n` or `\r\n`), each line and each line's JSON-escaped form.
 * Forms shorter than {@link MIN_MASKED_LENGTH} are left out, as for whole values: a PEM's
 * short last line stays visible where it appears alone, never where the whole value does.
 * @see https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions (each line of a multi-line secret is masked)
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  const add = (v: string): void => {
    if (v.length < MIN_MASKED_LENGTH) return;
    forms.add(v);
    forms.add(JSON.stringify(v).slice(1, -1));
  };
  add(value);
  const lines = value.split(/\r?\n/);
  if (lines.length > 1) for (const line of lines) add(line);
  return [...forms].filter((f) => f.length >= MIN_MASKED_LENGTH);
}

/** Cuts a text to at most `max` UTF-16 code units, ending in `…` when it was cut. */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  return text.slice(0, max - 1) + '…';
}

/**
 * Builds a masker for secret values. Values shorter than {@link MIN_MASKED_LENGTH} and
 * duplicates are ignored. Each value is matched in the forms of {@link secretForms} (as it is,
 * JSON-escaped, line by line); a value that a step transforms otherwise (base64, URL
 * encoding, hashing, reversing) is not recognized.
 * @example
 * const m = createMasker(['s3cr3t-token']);
 * m.mask('Authorization: Bearer s3cr3t-token'); // 'Authorization: Bearer ***'
 * m.maskJson({ token: 's3cr3t-token', n: 1 });   // { token: '***', n: 1 }
 * m.maskThenTruncate('token s3cr3t-token, more', 10); // 'token ***…'
 */
export function createMasker(values: readonly string[]): Masker {
  const needles = [...new Set(values.filter((v) => typeof v === 'string').flatMap(secretForms))];
  // Streams match bytes: each byte read as one latin1 char, so a multi-byte UTF-8 character
  // split across chunks needs no decoder and the bytes written out are exactly those read.
  const byteNeedles = needles.map((v) => Buffer.from(v, 'utf8').toString('latin1'));
  const maxLength = byteNeedles.reduce((n, v) => Math.max(n, v.length), 0);
  const active = needles.length > 0;
  const mask = (text: string): string => (active ? maskSpans(text, spansOf(text, needles), text.length) : text);
  const maskJson = (value: JsonValue): JsonValue => {
    if (!active) return value;
    if (typeof value === 'string') return mask(value);
    if (Array.isArray(value)) return value.map(maskJson);
    if (value !== null && typeof value === 'object') {
      const out: { [key: string]: JsonValue } = {};
      for (const [k, v] of Object.entries(value)) out[mask(k)] = maskJson(v);
      return out;
    }
    return value;
  };
  return {
    active,
    maxLength,
    mask,
    maskThenTruncate: (text, max) => shorten(mask(text), max),
    maskJson,
    stream: () => (active ? new ByteMaskStream(byteNeedles, maxLength) : { write: (c: Buffer) => c, end: () => Buffer.alloc(0) }),
  };
}

/** A half-open range [start, end) of text to mask. */
type Span = [number, number];

/** Every occurrence of every needle (overlapping ones too), merged into disjoint spans, in order. */
function spansOf(text: string, needles: readonly string[]): Span[] {
  const found: Span[] = [];
  for (const needle of needles) {
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) found.push([i, i + needle.length]);
  }
  if (found.length < 2) return found;
  found.sort((a, b) => a[0] - b[0]);
  const merged: Span[] = [found[0]!];
  for (const span of found.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push(span);
  }
  return merged;
}

/** `text[0, upTo)` with each span (clipped to `upTo`) replaced by the mask. */
function maskSpans(text: string, spans: readonly Span[], upTo: number): string {
  if (spans.length === 0) return upTo === text.length ? text : text.slice(0, upTo);
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    if (start >= upTo) break;
    out += text.slice(at, start) + SECRET_MASK;
    at = Math.min(end, upTo);
  }
  return out + text.slice(at, upTo);
}

/**
 * Holds back the tail of each chunk that could still be the start of a secret: with `L` the
 * longest value, at most its last `L - 1` bytes, and only those that begin some secret. The
 * cut also moves back to the start of any found occurrence that reaches into that tail,
 * because a later chunk could extend it through an overlapping secret. So fewer than `2L`
 * bytes wait.
 */
class ByteMaskStream implements MaskStream {
  private pending = '';

  constructor(
    private readonly needles: readonly string[],
    private readonly maxLength: number,
  ) {}

  write(chunk: Buffer): Buffer {
    const text = this.pending + chunk.toString('latin1');
    const spans = spansOf(text, this.needles);
    const limit = this.partialStart(text);
    let cut = limit;
    for (const needle of this.needles) {
      // The first occurrence that ends after the limit, if it starts before it.
      const i = text.indexOf(needle, Math.max(0, limit - needle.length + 1));
      if (i !== -1 && i < cut) cut = i;
    }
    // A cut inside a merged span would print it as two masks: hold the whole span back when
    // that stays within the bound (a long run of overlapping occurrences is cut anyway).
    const inside = spans.find(([start, end]) => start < cut && cut < end);
    if (inside !== undefined && inside[0] >= limit - this.maxLength) cut = inside[0];
    this.pending = text.slice(cut);
    return Buffer.from(maskSpans(text, spans, cut), 'latin1');
  }

  /**
   * Where the longest tail of `text` that is the beginning of some secret starts (text.length
   * when none is): only such a tail can still become a secret, so only it must wait. Output
   * that does not look like a secret's start is not delayed, and stdout and stderr lines
   * stay whole in the log.
   */
  private partialStart(text: string): number {
    for (let p = Math.max(0, text.length - (this.maxLength - 1)); p < text.length; p++) {
      const tail = text.slice(p);
      if (this.needles.some((n) => n.length > tail.length && n.startsWith(tail))) return p;
    }
    return text.length;
  }

  end(): Buffer {
    const text = this.pending;
    this.pending = '';
    return Buffer.from(maskSpans(text, spansOf(text, this.needles), text.length), 'latin1');
  }
}

/**
 * A masker with no values: every method returns its input (`maskThenTruncate` only
 * shortens). For code that shortens texts the same way whether or not a step has secrets.
 */
export const NO_MASKING: Masker = createMasker([]);
