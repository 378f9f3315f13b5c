/**
 * @module examples/file-batch/profile
 * Pure logic of the file-batch example: parsing CSV, finding the table inside a JSON
 * document, and profiling columns (type, missing values, distinct values, numeric
 * min/max/mean). No baton imports, so it is easy to test on its own.
 */

/** A parsed table: column names and rows of raw cells. */
export interface Table {
  columns: string[];
  /** Rows as cell arrays (CSV) or records (JSON); read with `cell`. */
  rows: unknown[];
  /** Where the rows were found in a JSON document (`$`, `$.features`, ...). */
  path: string;
}

/** A column's inferred type: the narrowest one that fits every non-missing value. */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'date' | 'string' | 'object' | 'empty';

/** The profile of one column. `min`/`max`/`mean` only for numeric columns. */
export interface ColumnProfile {
  name: string;
  type: ColumnType;
  missing: number;
  /** Distinct values, counted up to `DISTINCT_CAP` (a value of `DISTINCT_CAP` means "at least"). */
  distinct: number;
  min?: number;
  max?: number;
  mean?: number;
}

/** The profile of one file: the output of `profileGroup` for that item. */
export interface FileProfile {
  file: string;
  format: 'csv' | 'json';
  bytes: number;
  /** Rows in the file's table. */
  rows: number;
  /** Rows the column statistics cover: the first `maxRows`. */
  rowsProfiled: number;
  path: string;
  columns: ColumnProfile[];
}

/** Distinct values are counted up to this many per column, to bound memory on large files. */
export const DISTINCT_CAP = 10_000;
/** Columns profiled per file; wider tables are cut (GeoJSON properties can be wide). */
export const MAX_COLUMNS = 100;

/**
 * Parses RFC 4180 CSV: quoted fields with `""` escapes and embedded newlines, CRLF or LF.
 * Blank lines are skipped. @throws Error naming the line of a ragged row or an open quote.
 */
export function parseCsv(text: string): Table {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = (): void => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) {
      records.push(row);
      lines.push(rowLine);
    }
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      endRow();
      rowLine = ++line;
    } else if (c !== '\r') field += c;
  }
  if (quoted) throw new Error(`line ${rowLine}: a quoted field is never closed`);
  if (field !== '' || row.length) endRow();
  const [header, ...rows] = records;
  if (!header) throw new Error('empty file: no header line');
  rows.forEach((r, i) => {
    if (r.length !== header.length) throw new Error(`line ${lines[i + 1]}: expected ${header.length} fields, found ${r.length}`);
  });
  return { columns: header, rows, path: '$' };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The table inside a parsed JSON document: a top-level array (of records or of values),
 * else the longest array property of the top-level object (`$.features`, `$.values`),
 * else the top-level object as one row.
 */
export function jsonTable(doc: unknown): Table {
  let rows: unknown[];
  let path = '$';
  if (Array.isArray(doc)) rows = doc;
  else if (isRecord(doc)) {
    const arrays = Object.entries(doc).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
    const longest = arrays.sort((a, b) => b[1].length - a[1].length)[0];
    if (longest) [path, rows] = [`$.${longest[0]}`, longest[1]];
    else rows = [doc];
  } else rows = [doc];
  const keys = new Set<string>();
  for (const r of rows.slice(0, 1000)) {
    if (isRecord(r)) for (const k of Object.keys(r)) if (keys.size < MAX_COLUMNS) keys.add(k);
  }
  const columns = keys.size ? [...keys] : ['value'];
  // Rows that are plain values become one-cell records, so every row reads the same way.
  return { columns, rows: keys.size ? rows : rows.map((v) => ({ value: v })), path };
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{4}\/\d{2}\/\d{2}/;

type Kind = Exclude<ColumnType, 'empty' | 'number'> | 'float';

/** What one cell is; undefined for missing (null, empty, NaN-like "NA"). */
function kindOf(v: unknown): [Kind, number?] | undefined {
  if (v === null || v === undefined || v === '' || v === 'NA' || v === 'null') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? [Number.isInteger(v) ? 'integer' : 'float', v] : undefined;
  if (typeof v === 'boolean' || v === 'true' || v === 'false') return ['boolean'];
  if (typeof v === 'object') return ['object'];
  const s = typeof v === 'string' ? v.trim() : JSON.stringify(v);
  if (NUMBER.test(s)) {
    const n = Number(s);
    return [Number.isInteger(n) && !/[.eE]/.test(s) ? 'integer' : 'float', n];
  }
  if (DATE.test(s)) return ['date'];
  return ['string'];
}

/**
 * Profiles the first `maxRows` rows of a table. Memory stays bounded: numeric statistics
 * are running sums, distinct values stop at {@link DISTINCT_CAP} per column.
 */
export function profileTable(t: Table, maxRows: number): Omit<FileProfile, 'file' | 'format' | 'bytes'> {
  const rows = t.rows.slice(0, maxRows);
  const columns = t.columns.slice(0, MAX_COLUMNS).map((name, c): ColumnProfile => {
    const kinds = new Set<Kind>();
    const seen = new Set<string>();
    let missing = 0;
    let sum = 0;
    let n = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const r of rows) {
      const v: unknown = Array.isArray(r) ? (r as unknown[])[c] : isRecord(r) ? r[name] : undefined;
      const k = kindOf(v);
      if (!k) {
        missing++;
        continue;
      }
      kinds.add(k[0]);
      if (seen.size < DISTINCT_CAP) seen.add(typeof v === 'string' ? v : JSON.stringify(v));
      if (k[1] !== undefined) {
        sum += k[1];
        n++;
        min = Math.min(min, k[1]);
        max = Math.max(max, k[1]);
      }
    }
    const type = columnType(kinds);
    const p: ColumnProfile = { name, type, missing, distinct: seen.size };
    if ((type === 'integer' || type === 'number') && n > 0) Object.assign(p, { min, max, mean: round(sum / n) });
    return p;
  });
  return { rows: t.rows.length, rowsProfiled: rows.length, path: t.path, columns };
}

function columnType(kinds: Set<Kind>): ColumnType {
  if (kinds.size === 0) return 'empty';
  if ([...kinds].every((k) => k === 'integer')) return 'integer';
  if ([...kinds].every((k) => k === 'integer' || k === 'float')) return 'number';
  const [only] = kinds;
  if (kinds.size === 1 && only !== undefined && only !== 'float') return only;
  return kinds.has('object') ? 'object' : 'string';
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * A worksheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, not blank,
 * and unique (case-insensitive) among `used`, which it is added to.
 */
export function sheetName(base: string, used: Set<string>): string {
  const clean = base.replace(/[[\]:*?/\\]/g, '_').replace(/^'+|'+$/g, '').trim() || 'sheet';
  for (let i = 1; ; i++) {
    const suffix = i === 1 ? '' : ` (${i})`;
    const name = clean.slice(0, 31 - suffix.length) + suffix;
    if (!used.has(name.toLowerCase()) && name.toLowerCase() !== 'summary') {
      used.add(name.toLowerCase());
      return name;
    }
  }
}
