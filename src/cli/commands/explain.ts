import type { Command } from 'commander';
import type { Diagnosis, StepDiagnosis } from '../../observe/index.js';
import type { NarrativeOutcome } from '../../observe/index.js';
import type { LlmOptions } from '../assistant.js';
import { cliAssistant } from '../assistant.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openFleet, openStore } from '../context.js';
import type { WorkerRecord } from '../../store/index.js';
import { applyFromCli } from './explain-apply.js';
import { dim, formatMs, formatTime } from '../format.js';

/** `baton explain RUN [STEP]`: why a run's steps failed, from its records, and what may recover them. */
export function registerExplain(program: Command, globals: () => GlobalOptions): void {
  program
    .command('explain')
    .description('diagnose a failed run: per failed step a classification with quoted evidence, what changed since the last successful run, similar past failures and recovery commands')
    .argument('<run>', 'run id or a unique prefix of it')
    .argument('[step]', 'only this step')
    .option('--json', 'print the diagnosis as JSON (the shape of GET /api/v1/runs/{id}/diagnosis, plus "assistant" when a model is configured)')
    .option('--apply <n>', 'apply recovery N (as numbered below) after a confirmation: a baton retry of this run, recorded with who approved it', positiveInt)
    .option('-y, --yes', 'with --apply: do not ask (required when stdin is not a terminal)')
    .option('--detach', 'with --apply: record the re-run and return at once; baton server executes it')
    .option('--no-llm', 'no narrative even when a language model is configured (as BATON_LLM=off)')
    .option('--verbose', 'print each exchange with the model (bytes sent, tokens, ms) on stderr')
    .addHelpText('after', `
Classes, the first that matches: timeout, sub-workflow, http-status, memory,
command-not-found, permission-denied, network, secret-missing, handler-exception, output-missing, lost, exit-nonzero. Evidence
(e1, e2…) quotes the failure, the exit code and log lines with their byte offsets, read from
the last 64 KiB of the attempt's log, secrets masked. Similar failures (s1, s2…) are earlier
failed attempts of the same step over 30 days with the same normalised error. On a fleet, a
failure tied to its worker (a missing tool, too little memory) may be recovered with
'baton retry RUN --from STEP --on TAG', a tag a live worker has. The recovery commands are
printed only, unless --apply N: recovery N (of the step named, or of the only
failed step) is applied as baton retry would, after a [y/N] question (--yes to skip it; with
stdin not a terminal, --yes is required), and the run's rerun event records who approved it
and which recovery it was. A recovery that starts a new run (baton run FILE) is not applied:
run it yourself.

With BATON_LLM_URL and BATON_LLM_MODEL set (an OpenAI-compatible endpoint; README:
"Language model"), a short narrative follows, told from the evidence above: the prompt
holds the diagnosis with evidence ids, masked with the run's secrets, at most 16 KiB. A
narrative citing no evidence id is marked unverified; recoveries the model proposes are
kept only when they are commands baton has on steps of the run. If the model fails or
times out, the diagnosis is printed all the same. Exchanges are logged to
.baton/assistant.log (beside the database). --no-llm or BATON_LLM=off turns it off.`)
    .action(async (id: string, step: string | undefined, o: ExplainOptions) => {
      const g = globals();
      if (o.apply !== undefined) {
        process.exitCode = await applyFromCli(g, id, step, o.apply, o);
        return;
      }
      const api = connect(g);
      let d: Diagnosis;
      let stepIds: string[];
      let secrets: string[] = [];
      let liveTags: string[] | undefined;
      if (api) {
        d = await api.getDiagnosis(id, step);
        stepIds = (await api.getRun(d.runId)).steps.map((s) => s.stepId);
      } else {
        // Loaded here: observe/ also holds the metrics (prom-client), which no other part of this command needs.
        const { diagnoseRun, runSecretValues } = await import('../../observe/index.js');
        const { store } = await openStore(g);
        try {
          const workers = await fleetWorkers(g);
          liveTags = workers?.filter((w) => w.state === 'active').flatMap((w) => [w.platform, ...w.tags]);
          d = await diagnoseRun(store, id, { now: Date.now(), ...(step !== undefined ? { stepId: step } : {}), ...(workers ? { workers } : {}) });
          stepIds = (await store.getStepRuns(d.runId)).map((s) => s.stepId);
          secrets = await runSecretValues(store, d.runId);
        } finally {
          await store.close();
        }
      }
      // The deterministic diagnosis first: whatever the model does, it is out.
      if (!o.json) process.stdout.write(formatDiagnosis(d));
      const assistant = d.steps.length ? await cliAssistant(g, o, secrets) : undefined;
      const told = assistant ? await (await import('../../observe/index.js')).narrate(assistant, d, stepIds, liveTags) : undefined;
      if (o.json) process.stdout.write(JSON.stringify(told ? { ...d, assistant: told } : d, null, 2) + '\n');
      else if (told) process.stdout.write(formatNarrative(told));
    });
}

/** The fleet's workers on PostgreSQL, for recoveries `--on` a tag; undefined on SQLite. */
export async function fleetWorkers(g: GlobalOptions): Promise<WorkerRecord[] | undefined> {
  const f = await openFleet(g);
  if (!f) return undefined;
  try {
    return await f.fleet.listWorkers();
  } finally {
    await f.close();
  }
}

interface ExplainOptions extends LlmOptions {
  json?: boolean;
  apply?: number;
  yes?: boolean;
  detach?: boolean;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--apply takes a recovery number from 1, got '${v}'`);
  return n;
}

/** The model's narrative (or why there is none) as terminal text. */
export function formatNarrative(t: NarrativeOutcome): string {
  if (!t.ok) return `\nNARRATIVE unavailable: ${t.unavailable} (the diagnosis above stands)\n`;
  const n = t.narrative;
  const out = ['', `NARRATIVE ${dim(`(language model${n.verified ? `, cites ${n.cited.join(', ')}` : ''}${t.truncated ? '; facts cut to 16 KiB' : ''})`)}`];
  if (!n.verified) out.push('  UNVERIFIED: it cites no evidence id; check it against the evidence above');
  out.push(...n.text.split('\n').map((l) => `  ${l}`));
  if (n.recoveries.length) {
    out.push('', '  proposed by the model (checked: known commands and steps; not numbered for --apply)');
    for (const r of n.recoveries) out.push(`    - ${r.command}`, `      ${dim(`${r.reason} (${r.evidence.join(', ')})`)}`);
  }
  for (const x of n.discarded) out.push(`  ${dim(`discarded a proposal: ${x.command} (${x.why})`)}`);
  return out.join('\n') + '\n';
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
  if (c.peakRss.attemptBytes !== undefined) {
    out.push(`    memory    ${mib(c.peakRss.attemptBytes)}${c.peakRss.baselineBytes !== undefined ? `, baseline ${mib(c.peakRss.baselineBytes)}` : ''}${c.peakRss.p95Bytes !== undefined ? `, p95 ${mib(c.peakRss.p95Bytes)} over ${c.peakRss.successes ?? 0} successes (30 days)` : ''}`);
  }
  out.push('', `  similar failures ${dim(`(${s.similar.items.length} of ${s.similar.scanned} failed attempts read, 30 days${s.similar.truncated ? ', bound reached' : ''}; ${s.similar.signature})`)}`);
  if (!s.similar.items.length) out.push('    none');
  s.similar.items.forEach((f, i) => {
    const fix = f.fix ? f.endedBy === 'param-change' ? ` in ${f.fix.runId}: ${(f.fix.params ?? []).map((p) => `${p.key}=${show(p.to)}`).join(', ')}` : ` (${f.fix.runId}${f.fix.attempt !== undefined ? ` attempt ${f.fix.attempt}` : ''}${f.fix.version ? ` version ${f.fix.version}` : ''})` : '';
    out.push(`    s${i + 1}  ${formatTime(f.at)}  ${f.runId}#${f.attempt}  ended by ${f.endedBy}${fix}`);
  });
  out.push('', `  recoveries (none applied) ${dim('--apply N applies one')}`);
  s.recoveries.forEach((r, i) => out.push(`    ${i + 1}. ${r.command}`, `       ${dim(r.reason)}`));
  return out;
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

function mib(b: number): string {
  return `${(b / 2 ** 20).toFixed(1)} MiB`;
}
