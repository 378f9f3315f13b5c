/**
 * @module examples/file-batch/steps
 * The handlers of the file-batch workflow (`uses: ./steps.ts#<export>`): list the data
 * files, validate one file, profile a group of files, and consolidate every profile into
 * one Excel workbook plus a JSON report.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import type { BatchResult, JsonObject, StepContext } from '../../src/index.js';
import type { FileProfile, Table } from './profile.js';
import { jsonTable, parseCsv, profileTable, sheetName } from './profile.js';

/** The workflow file's folder: relative `dataDir`/`outDir` params resolve against it. */
const WORKFLOW_DIR = dirname(fileURLToPath(import.meta.url));

/** The data folder of the `vega-datasets` package (its entry point is build/index.js). */
export function vegaDataDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data');
}

function param(ctx: StepContext<never>, name: string): string {
  const v = ctx.params[name];
  return typeof v === 'string' ? v : '';
}

/** Step `list`: the `.csv` and `.json` files of `params.dataDir` (default: vega-datasets), sorted. */
export function list(ctx: StepContext<never>): { dataDir: string; files: string[] } {
  const dataDir = resolve(WORKFLOW_DIR, param(ctx, 'dataDir') || vegaDataDir());
  const files = readdirSync(dataDir)
    .filter((f) => /\.(csv|json)$/i.test(f))
    .sort()
    .map((f) => join(dataDir, f));
  ctx.log.info(`found ${files.length} files`, { dataDir });
  return { dataDir, files };
}

/** Parses a file into its table. @throws Error saying why the file is not a CSV/JSON table. */
function readTable(file: string): { table: Table; format: 'csv' | 'json' } {
  const text = readFileSync(file, 'utf8');
  if (extname(file).toLowerCase() === '.json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`not valid JSON: ${(e as Error).message}`);
    }
    return { table: jsonTable(doc), format: 'json' };
  }
  return { table: parseCsv(text), format: 'csv' };
}

/** Batch `validate`: a file is valid when it parses as CSV (no ragged rows) or JSON. */
export function checkFile(ctx: StepContext<{ item: string }>): true | { valid: false; reason: string } {
  try {
    readTable(ctx.inputs.item);
    return true;
  } catch (e) {
    return { valid: false, reason: (e as Error).message };
  }
}

/** Batch group: profiles each file of the group (the first `with.maxRows` rows of each). */
export function profileGroup(ctx: StepContext<{ items: string[]; group: number; maxRows: number }>): FileProfile[] {
  return ctx.inputs.items.map((file) => {
    const { table, format } = readTable(file);
    const p = profileTable(table, ctx.inputs.maxRows);
    ctx.log.info(`profiled ${basename(file)}`, { rows: p.rows, columns: p.columns.length });
    return { file: basename(file), format, bytes: statSync(file).size, ...p };
  });
}

const SUMMARY_COLUMNS = [
  { header: 'File', key: 'file', width: 34 }, { header: 'Format', key: 'format', width: 8 },
  { header: 'Status', key: 'status', width: 10 }, { header: 'Rows', key: 'rows', width: 10 },
  { header: 'Profiled rows', key: 'rowsProfiled', width: 13 }, { header: 'Columns', key: 'columns', width: 9 },
  { header: 'Table', key: 'path', width: 14 }, { header: 'Sheet', key: 'sheet', width: 32 }, { header: 'Error', key: 'error', width: 60 },
];

const COLUMN_COLUMNS = [
  { header: 'Column', key: 'name', width: 28 }, { header: 'Type', key: 'type', width: 9 }, { header: 'Missing', key: 'missing', width: 9 },
  { header: 'Distinct', key: 'distinct', width: 9 }, { header: 'Min', key: 'min', width: 14 }, { header: 'Max', key: 'max', width: 14 },
  { header: 'Mean', key: 'mean', width: 14 },
];

/**
 * Batch `consolidate`: writes `<outDir>/<run id>/profile.xlsx` (a Summary sheet with one row
 * per file, then one sheet per profiled file) and `report.json` (the whole batch result).
 * Returns the paths and counts: the step's output.
 */
export async function toWorkbook(ctx: StepContext<JsonObject & { result: BatchResult; maxRows: number }>): Promise<JsonObject> {
  const { result, maxRows } = ctx.inputs;
  const outDir = resolve(WORKFLOW_DIR, param(ctx as StepContext<never>, 'outDir') || 'out', ctx.run.id);
  mkdirSync(outDir, { recursive: true });
  const book = new ExcelJS.Workbook();
  book.creator = 'baton file-batch example';
  const summary = book.addWorksheet('Summary');
  summary.columns = SUMMARY_COLUMNS;
  summary.getRow(1).font = { bold: true };
  const used = new Set<string>();
  let capped = 0;
  for (const it of result.items) {
    const p = it.output as unknown as FileProfile | undefined;
    const file = basename(typeof it.item === 'string' ? it.item : JSON.stringify(it.item));
    if (it.status !== 'succeeded' || !p) {
      summary.addRow({ file, status: it.status, error: it.error ?? '' });
      continue;
    }
    const sheet = sheetName(basename(p.file, extname(p.file)), used);
    if (p.rowsProfiled < p.rows) capped++;
    summary.addRow({ file, format: p.format, status: it.status, rows: p.rows, rowsProfiled: p.rowsProfiled, columns: p.columns.length, path: p.path, sheet });
    const ws = book.addWorksheet(sheet);
    ws.columns = COLUMN_COLUMNS;
    ws.getRow(1).font = { bold: true };
    for (const c of p.columns) ws.addRow(c);
  }
  const note = `Statistics cover at most the first ${maxRows} rows of each file (${capped} files were longer).`;
  summary.addRow({});
  summary.addRow({ file: note });
  const workbook = join(outDir, 'profile.xlsx');
  await book.xlsx.writeFile(workbook);
  const report = join(outDir, 'report.json');
  writeFileSync(report, JSON.stringify({ note, counts: result.counts, failures: result.failures, items: result.items }, null, 2));
  ctx.log.info('wrote workbook', { workbook, sheets: book.worksheets.length });
  return { workbook, report, sheets: book.worksheets.length, counts: result.counts as unknown as JsonObject, note };
}
