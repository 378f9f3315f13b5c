import type { Command } from 'commander';
import type { ExportPage, HistoryBucketSize, HistorySummary, RunExport } from '../../store/index.js';
import { MAX_EXPORT_PAGE } from '../../store/index.js';
import { checkDuration, parseDuration } from '../../workflow/index.js';
import { connect } from '../client.js';
import type { ApiClient } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { csvRecord, csvTime } from '../csv.js';
import { dim, formatMs, table } from '../format.js';

type Format = 'table' | 'json' | 'csv';
type Export = 'runs' | 'steps';

interface HistoryFlags {
  workflow?: string;
  since: string;
  by: string;
  format?: string;
  export?: string;
}

/** Where the figures come from: the store, or a server's API (`--server`). */
interface Source {
  summary(by: HistoryBucketSize): Promise<HistorySummary>;
  page(cursor: string | undefined): Promise<ExportPage>;
  close(): Promise<void>;
}

/** `baton history`: summaries of the runs that ended lately, or their export (CSV or JSON). */
export function registerHistory(program: Command, globals: () => GlobalOptions): void {
  program
    .command('history')
    .description('what ran lately: runs by hour or day (UTC), per workflow and per step (count, p50/p95 duration, failure rate), the most failing steps; or export those runs and their steps as CSV or JSON')
    .option('-w, --workflow <name>', 'only runs of this workflow')
    .option('--since <duration>', 'how far back from now (24h, 7d, 30d…; at most 365d)', '7d')
    .option('--by <bucket>', 'bucket size of the runs-over-time table: hour or day', 'day')
    .option('--format <format>', 'table, json or csv (csv needs --export)')
    .option('--export <what>', 'write every run (runs: one row per run) or every step run (steps: one row per step run) of the window, as CSV unless --format json')
    .addHelpText('after', `
Every figure is over the runs that ended within --since, and the step runs of those runs.
A run's duration runs from its start to its end; a step's is its last attempt's. p50/p95 are
continuous percentiles (linear between ranks, as PostgreSQL's percentile_cont). Failure
rate: failed / (succeeded + failed); cancelled runs and skipped or cancelled steps are
neither. CSV follows RFC 4180 (quoted fields, CRLF); times in it are ISO 8601 UTC, and
JSON times are ms since the epoch, as the API's.

Examples:
  baton history                                   # the last 7 days, by day
  baton history --since 24h --by hour -w nightly
  baton history --since 30d --export steps > steps.csv
  baton history --export runs --format json --server http://ci:8080`)
    .action(async (o: HistoryFlags) => {
      const problem = checkDuration(o.since, false);
      if (problem) throw new CliError(`--since: ${problem.message}`);
      if (o.by !== 'hour' && o.by !== 'day') throw new CliError(`--by expects hour or day, got '${o.by}'`);
      if (o.export !== undefined && o.export !== 'runs' && o.export !== 'steps') throw new CliError(`--export expects runs or steps, got '${o.export}'`);
      if (o.format !== undefined && !['table', 'json', 'csv'].includes(o.format)) throw new CliError(`--format expects table, json or csv, got '${o.format}'`);
      const exporting = o.export;
      const format = (o.format ?? (exporting ? 'csv' : 'table')) as Format;
      if (format === 'csv' && !exporting) throw new CliError('--format csv writes runs or steps: add --export runs or --export steps (a summary has several tables: use --format json for all of it)');
      if (format === 'table' && exporting) throw new CliError('--export writes CSV or JSON: use --format csv or --format json');
      const source = await open(globals(), o);
      try {
        if (exporting) await writeExport(source, exporting, format === 'json' ? 'json' : 'csv');
        else printSummary(await source.summary(o.by), format === 'json', o.since);
      } finally {
        await source.close();
      }
    });
}

async function open(g: GlobalOptions, o: HistoryFlags): Promise<Source> {
  const api: ApiClient | undefined = connect(g);
  const workflow = o.workflow !== undefined ? { workflow: o.workflow } : {};
  if (api) {
    return {
      summary: (by) => api.history({ since: o.since, by, ...workflow }),
      page: (cursor) => api.exportRuns({ since: o.since, limit: MAX_EXPORT_PAGE, ...workflow, ...(cursor !== undefined ? { cursor } : {}) }),
      close: () => Promise.resolve(),
    };
  }
  const { store } = await openStore(g);
  // One "now" for every page, so the window does not slide while the export reads.
  const until = Date.now();
  const since = until - parseDuration(o.since);
  return {
    summary: (by) => store.history.summary({ since, until, by, ...workflow }),
    page: (cursor) => store.history.exportRuns({ since, until, limit: MAX_EXPORT_PAGE, ...workflow, ...(cursor !== undefined ? { cursor } : {}) }),
    close: () => store.close(),
  };
}

const RUN_COLUMNS = ['run_id', 'workflow', 'version', 'state', 'trigger', 'created_at', 'started_at', 'ended_at', 'duration_ms', 'reason', 'steps', 'failed_steps'];
const STEP_COLUMNS = ['run_id', 'workflow', 'step_id', 'position', 'state', 'attempts', 'started_at', 'ended_at', 'duration_ms', 'reason', 'error'];

/** Writes every run of the window page by page, as CSV records or one JSON array (an element per line). */
async function writeExport(source: Source, what: Export, format: 'csv' | 'json'): Promise<void> {
  const out = (s: string): void => void process.stdout.write(s);
  if (format === 'csv') out(csvRecord(what === 'runs' ? RUN_COLUMNS : STEP_COLUMNS));
  else out('[');
  let first = true;
  let cursor: string | undefined;
  do {
    const page = await source.page(cursor);
    for (const r of page.runs) {
      if (format === 'csv') {
        out(what === 'runs' ? csvRecord(runRecord(r)) : r.steps.map((s) => csvRecord([
          r.id, r.workflow, s.stepId, s.position, s.state, s.attempts, csvTime(s.startedAt), csvTime(s.endedAt), s.durationMs, s.reason, s.error,
        ])).join(''));
      } else if (what === 'runs') {
        out(`${first ? '\n' : ',\n'}${JSON.stringify(r)}`);
        first = false;
      } else {
        for (const s of r.steps) {
          out(`${first ? '\n' : ',\n'}${JSON.stringify({ runId: r.id, workflow: r.workflow, ...s })}`);
          first = false;
        }
      }
    }
    cursor = page.runs.length ? page.next : undefined;
  } while (cursor !== undefined);
  if (format === 'json') out(first ? ']\n' : '\n]\n');
}

function runRecord(r: RunExport): (string | number | undefined)[] {
  return [
    r.id, r.workflow, r.version, r.state, r.trigger, csvTime(r.createdAt), csvTime(r.startedAt), csvTime(r.endedAt), r.durationMs, r.reason,
    r.steps.length, r.steps.filter((s) => s.state === 'failed').length,
  ];
}

/** A percentile for a table: `-` when absent, ms figures under a second to 0.1 ms. */
function duration(ms: number | undefined): string {
  return ms === undefined ? '-' : formatMs(ms < 1000 ? +ms.toFixed(1) : ms);
}

function percent(rate: number | null): string {
  return rate === null ? '-' : `${+(rate * 100).toFixed(1)}%`;
}

/** `2026-11-21 23:00` (UTC): bucket starts are UTC hours and days. */
function utc(ms: number, by: HistoryBucketSize): string {
  const iso = new Date(ms).toISOString();
  return by === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function printSummary(s: HistorySummary, json: boolean, since: string): void {
  if (json) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  const out: string[] = [];
  out.push(`Runs that ended in the last ${since}${s.workflow ? ` (workflow ${s.workflow})` : ''}: ${utc(s.since, 'hour')} to ${utc(s.until, 'hour')} UTC`);
  if (!s.workflows.length) {
    out.push('no runs ended in this window');
    process.stdout.write(out.join('\n') + '\n');
    return;
  }
  const total = s.workflows.reduce((n, w) => n + w.runs, 0);
  out.push('', `RUNS BY ${s.by.toUpperCase()} (UTC): ${total} in all`);
  // Empty hours are left out of a table that would be mostly zeros; days are all shown.
  const shown = s.by === 'hour' ? s.buckets.filter((b) => b.succeeded + b.failed + b.cancelled > 0) : s.buckets;
  out.push(table([[s.by === 'day' ? 'DAY' : 'HOUR', 'SUCCEEDED', 'FAILED', 'CANCELLED'], ...shown.map((b) => [utc(b.start, s.by), String(b.succeeded), String(b.failed), String(b.cancelled)])]));
  out.push('', 'WORKFLOWS');
  out.push(table([
    ['WORKFLOW', 'RUNS', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'FAILURE RATE', 'P50', 'P95'],
    ...s.workflows.map((w) => [w.workflow, String(w.runs), String(w.succeeded), String(w.failed), String(w.cancelled), percent(w.failureRate), duration(w.p50Ms), duration(w.p95Ms)]),
  ]));
  out.push('', 'STEPS');
  out.push(table([
    ['WORKFLOW', 'STEP', 'COUNT', 'FAILED', 'FAILURE RATE', 'P50', 'P95'],
    ...s.steps.map((x) => [x.workflow, x.stepId, String(x.count), String(x.failed), percent(x.failureRate), duration(x.p50Ms), duration(x.p95Ms)]),
  ]));
  if (s.stepsTruncated) out.push(dim(`(the first ${s.steps.length} steps; --format json or --export steps for the rest)`));
  if (s.topFailing.length) {
    out.push('', 'MOST FAILING STEPS');
    out.push(table([
      ['WORKFLOW', 'STEP', 'FAILURES', 'LAST FAILURE (UTC)', 'RUN', 'ERROR'],
      ...s.topFailing.map((f) => [f.workflow, f.stepId, String(f.failures), new Date(f.lastFailureAt).toISOString().slice(0, 19).replace('T', ' '), f.lastRunId, oneLine(f.lastError ?? f.lastErrorType ?? '')]),
    ]));
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** An error message on one table line: its first line, at most 80 characters. */
function oneLine(text: string): string {
  const first = text.split(/\r?\n/)[0] ?? '';
  return first.length > 80 ? first.slice(0, 79) + '…' : first;
}
