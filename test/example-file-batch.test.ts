/**
 * The file-batch example through the real CLI, on a temp folder holding a few real
 * vega-datasets files: a corrupt file stops the batch at validation, naming the file; a
 * clean folder yields a workbook with a Summary sheet and one sheet per file.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vegaDataDir } from '../examples/file-batch/steps.js';
import { baton, ROOT, tempDir } from './helpers.js';

const WORKFLOW = join(ROOT, 'examples', 'file-batch', 'workflow.yaml');
const FILES = ['anscombe.json', 'cars.json', 'github.csv', 'iowa-electricity.csv', 'seattle-weather.csv', 'stocks.csv'];

let dir: string;
let data: string;
let out: string;
beforeEach(() => {
  dir = tempDir('baton-file-batch-');
  data = join(dir, 'data');
  out = join(dir, 'out');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Copies the real files into the temp data folder. */
function copyData(): void {
  mkdirSync(data, { recursive: true });
  for (const f of FILES) copyFileSync(join(vegaDataDir(), f), join(data, f));
}

const run = () => baton(['--db', join(dir, 'baton.db'), 'run', WORKFLOW, '-p', `dataDir=${data}`, '-p', `outDir=${out}`], dir);

describe('examples/file-batch', () => {
  it('a corrupt file fails the run at validation, named with its reason; nothing is profiled', async () => {
    copyData();
    writeFileSync(join(data, 'broken.csv'), 'a,b\n1,2\n3,4,5\n');
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1 of 7 items are invalid');
    expect(r.stdout).toContain(`${join(data, 'broken.csv')}: line 3: expected 2 fields, found 3`);
    expect(existsSync(out)).toBe(false);
  });

  it('a clean folder: exit 0, a workbook with a Summary sheet and one sheet per file', async () => {
    copyData();
    const r = await run();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [runDir] = readdirSync(out);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(join(out, runDir!, 'profile.xlsx'));
    expect(book.worksheets.map((w) => w.name)).toEqual(['Summary', 'anscombe', 'cars', 'github', 'iowa-electricity', 'seattle-weather', 'stocks']);
    const summary = book.getWorksheet('Summary')!;
    expect(summary.getRow(1).values).toContain('File');
    expect(summary.getRow(3).getCell(1).value).toBe('cars.json');
    expect(summary.getRow(3).getCell(4).value).toBe(406); // rows
    const cars = book.getWorksheet('cars')!;
    const mpg = cars.getRows(2, 9)!.find((row) => row.getCell(1).value === 'Miles_per_Gallon')!;
    expect(mpg.getCell(2).value).toBe('number');
    expect(mpg.getCell(3).value).toBe(8); // missing
    expect(existsSync(join(out, runDir!, 'report.json'))).toBe(true);
    // The run folder is named by run id; `baton show` reads the stored groups.
    const show = await baton(['--db', join(dir, 'baton.db'), 'show', runDir!], dir);
    expect(show.stdout).toMatch(/BATCH\n\s*profile\s+items 6\/0\/6 done\/failed\/total\s+2\/2 groups ended/);
  });
});
