/**
 * @module examples/nightly-forecast/lib/data
 * Loading and validating the input series: CSV parsing, monthly bucketing, gap checks and
 * the normalized series files the `load` step writes. Pure functions except where the name
 * says "read" or "write".
 */
import { readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A monthly series, normalized: one value per calendar month, no gaps. */
export type Series = {
  /** Short key, `[a-z0-9_]+`, safe inside `${{ steps.load.output.series.<name> }}`. */
  name: string;
  /** Human label for reports. */
  label: string;
  /** What a value measures, e.g. `USD` or `°C`. */
  unit: string;
  /** Seasonal period in points (12 for a yearly cycle in monthly data), 0 for none. */
  season: number;
  /** Month of each point, `YYYY-MM`, consecutive. */
  months: string[];
  values: number[];
};

/** A parsed CSV: header names and rows of raw strings. */
export type CsvTable = { header: string[]; rows: string[][] };

/**
 * Parses RFC 4180-ish CSV text (quoted fields with `""` escapes, CRLF or LF line ends).
 * Blank lines are dropped. Throws when a row's field count differs from the header's.
 */
export function parseCsv(text: string): CsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { record.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field); field = '';
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
    } else field += c;
  }
  record.push(field);
  if (record.length > 1 || record[0] !== '') records.push(record);
  const [header, ...rows] = records;
  if (!header) throw new Error('CSV is empty');
  rows.forEach((row, i) => {
    if (row.length !== header.length) {
      throw new Error(`CSV line ${i + 2}: expected ${header.length} fields, found ${row.length}`);
    }
  });
  return { header, rows };
}

/** Returns the index of column `name` in `table`, or throws naming the columns it has. */
export function column(table: CsvTable, name: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw new Error(`CSV has no column "${name}" (columns: ${table.header.join(', ')})`);
  return i;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses a date as written in vega-datasets files, either ISO `2012-01-31` or `Jan 1 2000`,
 * into a UTC day `YYYY-MM-DD`. Throws on anything else.
 */
export function parseDay(text: string): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const us = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$/.exec(text);
  let y: number, m: number, d: number;
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (us && MONTHS.includes(us[1]!)) [y, m, d] = [Number(us[3]), MONTHS.indexOf(us[1]!) + 1, Number(us[2])];
  else throw new Error(`unparseable date "${text}"`);
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) throw new Error(`invalid date "${text}"`);
  return t.toISOString().slice(0, 10);
}

/** Returns the `YYYY-MM` month `n` months after `month` (n may be negative). */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const t = new Date(Date.UTC(y, m - 1 + n, 1));
  return t.toISOString().slice(0, 7);
}

/** Parses a decimal number strictly: empty, `NaN` and trailing junk throw. */
export function parseNumber(text: string, where: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new Error(`${where}: "${text}" is not a number`);
  return v;
}

/**
 * Splits `stocks.csv` (symbol,date,price; one row per symbol and month) into one series
 * per symbol, in file order. Throws on a bad date, a bad price, or two rows for a month.
 */
export function stocksToSeries(table: CsvTable): Series[] {
  const [cs, cd, cp] = [column(table, 'symbol'), column(table, 'date'), column(table, 'price')];
  const bySymbol = new Map<string, Map<string, number>>();
  table.rows.forEach((row, i) => {
    const symbol = row[cs]!;
    const month = parseDay(row[cd]!).slice(0, 7);
    const price = parseNumber(row[cp]!, `stocks.csv line ${i + 2}`);
    const points = bySymbol.get(symbol) ?? new Map<string, number>();
    if (points.has(month)) throw new Error(`stocks.csv line ${i + 2}: second price for ${symbol} ${month}`);
    points.set(month, price);
    bySymbol.set(symbol, points);
  });
  return [...bySymbol].map(([symbol, points]) => {
    const months = [...points.keys()].sort();
    return {
      name: symbol.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
      label: `${symbol} monthly close`,
      unit: 'USD',
      season: 0,
      months,
      values: months.map((m) => points.get(m)!),
    };
  });
}

/**
 * Turns a daily table (ISO `date` column) into a monthly series of the mean of `field`.
 * Checks the days are consecutive (no missing or repeated day) and that the first and last
 * months are complete, so every monthly mean covers a whole month.
 */
export function dailyToMonthlyMean(
  table: CsvTable,
  field: string,
  meta: Pick<Series, 'name' | 'label' | 'unit' | 'season'>,
): Series {
  const [cd, cv] = [column(table, 'date'), column(table, field)];
  const sums = new Map<string, { sum: number; n: number }>();
  let prev: number | undefined;
  table.rows.forEach((row, i) => {
    const day = parseDay(row[cd]!);
    const t = Date.parse(day);
    if (prev !== undefined && t - prev !== 86_400_000) {
      throw new Error(`line ${i + 2}: ${day} does not follow ${new Date(prev).toISOString().slice(0, 10)} (gap or disorder)`);
    }
    if (prev === undefined && !day.endsWith('-01')) throw new Error(`first day ${day} is not the 1st of a month`);
    prev = t;
    const v = parseNumber(row[cv]!, `line ${i + 2} ${field}`);
    const s = sums.get(day.slice(0, 7)) ?? { sum: 0, n: 0 };
    s.sum += v; s.n += 1;
    sums.set(day.slice(0, 7), s);
  });
  if (prev !== undefined && new Date(prev + 86_400_000).getUTCDate() !== 1) {
    throw new Error(`last day ${new Date(prev).toISOString().slice(0, 10)} is not the end of a month`);
  }
  const months = [...sums.keys()];
  return { ...meta, months, values: months.map((m) => sums.get(m)!.sum / sums.get(m)!.n) };
}

/**
 * Checks a series is usable for forecasting: at least `minPoints` points, consecutive months,
 * finite and strictly positive values (MAPE divides by them). Returns the problems found;
 * empty means valid.
 */
export function validateSeries(s: Series, minPoints: number): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9_]+$/.test(s.name)) problems.push(`name "${s.name}" is not [a-z0-9_]+`);
  if (s.months.length !== s.values.length) problems.push('months and values differ in length');
  if (s.values.length < minPoints) problems.push(`${s.values.length} points, need at least ${minPoints}`);
  for (let i = 1; i < s.months.length; i++) {
    const expected = addMonths(s.months[i - 1]!, 1);
    if (s.months[i] !== expected) {
      problems.push(`gap: ${s.months[i - 1]} is followed by ${s.months[i]}, expected ${expected}`);
      break;
    }
  }
  const bad = s.values.findIndex((v) => !Number.isFinite(v) || v <= 0);
  if (bad >= 0) problems.push(`value ${s.values[bad]} at ${s.months[bad]} is not a positive number`);
  return problems;
}

/**
 * Absolute path of the vega-datasets `data/` folder, found through Node's module resolution
 * from this file (the package exports only its JS entry, so we step up from it).
 */
export function vegaDataDir(): string {
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data');
}

/**
 * Reads the series of the nightly batch from `dataDir`: the five symbols of `stocks.csv`
 * and Seattle's monthly mean daily maximum temperature (a seasonal demand driver).
 */
export function readNightlySeries(dataDir: string): Series[] {
  const stocks = stocksToSeries(parseCsv(readFileSync(join(dataDir, 'stocks.csv'), 'utf8')));
  const weather = dailyToMonthlyMean(parseCsv(readFileSync(join(dataDir, 'seattle-weather.csv'), 'utf8')), 'temp_max', {
    name: 'seattle',
    label: 'Seattle mean daily max temperature',
    unit: '°C',
    season: 12,
  });
  return [...stocks, weather];
}

/** One row of vega-datasets' `unemployment-across-industries.json`. */
type UnemploymentRow = { series: string; year: number; month: number; count: number };

/**
 * Splits `unemployment-across-industries.json` (US unemployed persons by the industry of
 * their last job, thousands, monthly, not seasonally adjusted) into one seasonal series per
 * industry, in file order. Reads `year` and `month`, not `date`, whose local-time offsets
 * would shift months. Throws on a non-numeric count or two rows for one industry and month.
 */
export function unemploymentToSeries(rows: readonly UnemploymentRow[]): Series[] {
  const byIndustry = new Map<string, Map<string, number>>();
  rows.forEach((r, i) => {
    const month = `${r.year}-${String(r.month).padStart(2, '0')}`;
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`row ${i}: bad year/month ${r.year}/${r.month}`);
    if (typeof r.count !== 'number' || !Number.isFinite(r.count)) throw new Error(`row ${i}: count ${JSON.stringify(r.count)} is not a number`);
    const points = byIndustry.get(r.series) ?? new Map<string, number>();
    if (points.has(month)) throw new Error(`row ${i}: second count for ${r.series} ${month}`);
    points.set(month, r.count);
    byIndustry.set(r.series, points);
  });
  return [...byIndustry].map(([industry, points]) => {
    const months = [...points.keys()].sort();
    return {
      name: industry.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, ''),
      label: `${industry}: unemployed persons`,
      unit: 'thousands',
      season: 12,
      months,
      values: months.map((m) => points.get(m)!),
    };
  });
}

/**
 * The data sets the workflow's `dataset` param selects: `stocks-weather` (the default, six
 * series: five stock prices and Seattle temperatures) and `industries` (14 seasonal series of
 * US unemployment by industry, 2000-01..2010-02).
 */
export const DATASETS = ['stocks-weather', 'industries'] as const;

/** A name of {@link DATASETS}. */
export type DatasetName = (typeof DATASETS)[number];

/**
 * Reads data set `name` from `dataDir` (a vega-datasets `data/` folder or a copy of it).
 * Throws naming the known data sets when `name` is not one of them.
 */
export function readDataset(name: string, dataDir: string): Series[] {
  if (name === 'stocks-weather') return readNightlySeries(dataDir);
  if (name === 'industries') {
    const rows = JSON.parse(readFileSync(join(dataDir, 'unemployment-across-industries.json'), 'utf8')) as UnemploymentRow[];
    return unemploymentToSeries(rows);
  }
  throw new Error(`param dataset: "${name}" is not one of ${DATASETS.join(', ')}`);
}

/**
 * Writes `data` as pretty JSON to `path` atomically (temp file + rename), creating folders.
 * `tag` makes the temp name unique per writer, e.g. an attemptId, so concurrent or
 * re-executed attempts never see a half-written file.
 */
export function writeJsonAtomic(path: string, data: unknown, tag: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${tag.replace(/[^A-Za-z0-9_-]/g, '_')}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, path);
}

/** Reads a series file written by the `load` step and checks its shape. */
export function readSeriesFile(path: string): Series {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Partial<Series>;
  if (typeof s.name !== 'string' || !Array.isArray(s.values) || !Array.isArray(s.months)) {
    throw new Error(`${path} is not a series file`);
  }
  return s as Series;
}
