import type { Command } from 'commander';
import type { Diagnosis, StepDiagnosis } from '../../observe/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { openStore } from '../context.js';
import { dim, formatMs, formatTime } from '../format.js';

/** `baton explain RUN [STEP]`: why a run's steps failed, from its records, and what may recover them. */
export function registerExplain(program: Command, globals: () => GlobalOptions): void {
  program
    .command('explain')
    .description('diagnose a failed run: per failed step a classification with quoted evidence, what changed since the last successful run, similar past failures and recovery commands')
    .argument('<run>', 'run id or a unique prefix of it')
    .argument('[step]', 'only this step')
    .option('--json', 'print the diagnosis as JSON (the shape of GET /api/v1/runs/{id}/diagnosis)')
    .addHelpText('after', `
Classes, the first that matches: timeout, memory, command-not-found, permission-denied,
network, secret-missing, handler-exception, output-missing, lost, exit-nonzero. Evidence
(e1, e2…) quotes the failure, the exit code and log lines with their byte offsets, read from
the last 64 KiB of the attempt's log, secrets masked. Similar failures (s1, s2…) are earlier
failed attempts of the same step over 30 days with the same normalised error. The recovery
commands are printed only: nothing is run.`)
    .action(async (id: string, step: string | undefined, o: { json?: boolean }) => {
      const api = connect(globals());
      let d: Diagnosis;
      if (api) {
        d = await api.getDiagnosis(id, step);
      } else {
        // Loaded here: observe/ also holds the metrics (prom-client), which no other part of this command needs.
        const { diagnoseRun } = await import('../../observe/index.js');
        const { store } = await openStore(globals());
        try {
          d = await diagnoseRun(store, id, { now: Date.now(), ...(step !== undefined ? { stepId: step } : {}) });
        } finally {
          await store.close();
        }
      }
      process.stdout.write(o.json ? JSON.stringify(d, null, 2) + '\n' : formatDiagnosis(d));
    });
}

/** The diagnosis as terminal text. */
export function formatDiagnosis(d: Diagnosis): string {
  const out = [`run ${d.runId}  workflow ${d.workflow} ${dim(`(version ${d.version})`)}  ${d.state}`];
  if (!d.steps.length) out.push('', 'no failed step to diagnose');
  for (const s of d.steps) out.push('', ...stepText(s));
  return out.join('\n') + '\n';
}

function stepText(s: StepDiagnosis): string[] {
  const out = [`STEP ${s.stepId}  attempt ${s.attempt}  ${s.class.toUpperCase()}`, `  ${s.summary}`, '', '  evidence'];
  for (const e of s.evidence) {
    const where = e.kind === 'log' ? dim(` (log${e.line !== undefined ? ` line ${e.line}` : ''}, byte ${e.offset ?? 0})`) : dim(` (${e.kind})`);
    out.push(`    ${e.id}  ${e.text}${where}`);
  }
  out.push('', '  changed since the last successful run');
  const c = s.changes;
  if (!c.baseline) out.push('    no earlier successful run of this workflow');
  else {
    out.push(`    baseline  ${c.baseline.runId} ${dim(formatTime(c.baseline.endedAt))}`);
    out.push(`    version   ${c.version ? `${c.version.from} -> ${c.version.to}${c.version.steps ? ` (steps differing: ${c.version.steps.join(', ') || 'none'})` : ''}` : 'same'}`);
    out.push(`    params    ${c.params.length ? c.params.map((p) => `${p.key}: ${show(p.from)} -> ${show(p.to)}`).join('; ') : 'same'}`);
  }
  if (c.worker) out.push(`    worker    ${c.worker.failed ?? 'in-process'}${c.baseline ? ` (baseline: ${c.worker.baseline ?? 'in-process'})` : ''}`);
  const dur = c.duration;
  if (dur.attemptMs !== undefined) {
    out.push(`    duration  ${formatMs(dur.attemptMs)}${dur.baselineMs !== undefined ? `, baseline ${formatMs(dur.baselineMs)}` : ''}${dur.p95Ms !== undefined ? `, p95 ${formatMs(Math.round(dur.p95Ms))} over ${dur.successes ?? 0} successes (30 days)` : ''}`);
  }
  if (c.peakRss.attemptBytes !== undefined) out.push(`    memory    ${mib(c.peakRss.attemptBytes)}${c.peakRss.baselineBytes !== undefined ? `, baseline ${mib(c.peakRss.baselineBytes)}` : ''}`);
  out.push('', `  similar failures ${dim(`(${s.similar.items.length} of ${s.similar.scanned} failed attempts read, 30 days${s.similar.truncated ? ', bound reached' : ''}; ${s.similar.signature})`)}`);
  if (!s.similar.items.length) out.push('    none');
  s.similar.items.forEach((f, i) => {
    const fix = f.fix ? f.endedBy === 'param-change' ? ` in ${f.fix.runId}: ${(f.fix.params ?? []).map((p) => `${p.key}=${show(p.to)}`).join(', ')}` : ` (${f.fix.runId}${f.fix.attempt !== undefined ? ` attempt ${f.fix.attempt}` : ''}${f.fix.version ? ` version ${f.fix.version}` : ''})` : '';
    out.push(`    s${i + 1}  ${formatTime(f.at)}  ${f.runId}#${f.attempt}  ended by ${f.endedBy}${fix}`);
  });
  out.push('', '  recoveries (none applied)');
  s.recoveries.forEach((r, i) => out.push(`    ${i + 1}. ${r.command}`, `       ${dim(r.reason)}`));
  return out;
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

function mib(b: number): string {
  return `${(b / 2 ** 20).toFixed(1)} MiB`;
}
