import type { Command } from 'commander';
import type { AlertRecord, AlertState, SilenceMatcher, SilenceRecord } from '../../store/index.js';
import { ALERT_STATES, AlertNotFoundError, newAlertId } from '../../store/index.js';
import type { AlertDetail } from '../client.js';
import { connect } from '../client.js';
import { AlertBook, AlertStateError } from '../../observe/index.js';
import { parseDuration } from '../../workflow/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { formatTime, table } from '../format.js';
import { userInfo } from 'node:os';
import { registerAlertRules } from './alert-rules.js';

const ago = (ms: number): string => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : s < 172_800 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86_400)}d ago`;
};

const actor = (): string => `cli:${userInfo().username}`;

function parseStates(text: string | undefined): AlertState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(',').flatMap((s) => (s === 'open' ? ['firing', 'acknowledged', 'silenced'] : [s.trim()]));
  const bad = states.find((s) => !ALERT_STATES.includes(s as AlertState));
  if (bad !== undefined) throw new CliError(`unknown alert state '${bad}': ${ALERT_STATES.join(', ')} or open`, 2);
  return states as AlertState[];
}

/** `label=value` or `label=~glob*` matchers of `baton alerts silence`. */
function parseMatchers(args: string[]): SilenceMatcher[] {
  return args.map((a) => {
    const m = /^([A-Za-z_][\w-]*)(=~|=)(.*)$/.exec(a);
    if (!m) throw new CliError(`matcher '${a}' is not label=value or label=~glob (e.g. workflow=nightly, rule=run-failed, step=~load*)`, 2);
    return { name: m[1]!, value: m[3]!, ...(m[2] === '=~' ? { glob: true } : {}) };
  });
}

/** Where alerts are read and changed: a server's API (`--server`), or the store itself. */
interface AlertsAccess {
  list(f: { state?: AlertState[]; rule?: string; workflow?: string }): Promise<AlertRecord[]>;
  show(id: string): Promise<AlertDetail>;
  act(id: string, action: 'ack' | 'resolve', note: string | undefined): Promise<AlertRecord>;
  silences(): Promise<SilenceRecord[]>;
  silence(matchers: SilenceMatcher[], ms: number, note: string | undefined): Promise<SilenceRecord>;
  unsilence(id: string): Promise<void>;
  close(): Promise<void>;
}

async function openAlerts(o: GlobalOptions): Promise<AlertsAccess> {
  const api = connect(o);
  if (api) {
    return {
      list: (f) => api.listAlerts({ limit: '200', ...(f.state ? { state: f.state.join(',') } : {}), ...(f.rule ? { rule: f.rule } : {}), ...(f.workflow ? { workflow: f.workflow } : {}) }),
      show: (id) => api.getAlert(id),
      act: (id, action, note) => api.alertAction(id, action, note),
      silences: () => api.listSilences(),
      silence: (matchers, ms, note) => api.createSilence(matchers, ms, note),
      unsilence: async (id) => void (await api.expireSilence(id)),
      close: () => Promise.resolve(),
    };
  }
  const { store } = await openStore(o);
  const book = new AlertBook(store.alerts, Date.now, () => undefined);
  return {
    list: (f) => store.alerts.list({ ...f, limit: 200 }),
    async show(id) {
      const alert = await store.alerts.get(id);
      if (!alert) throw new CliError(`no alert ${id}: list them with 'baton alerts --all'`);
      const deliveries = (await store.alerts.deliveriesFor(id)).map(({ body: _b, leaseOwner: _o, leaseUntil: _u, ...d }) => d);
      return { alert, events: await store.alerts.events(id), deliveries };
    },
    async act(id, action, note) {
      try {
        return action === 'ack' ? await book.acknowledge(id, actor(), note) : await book.resolve(id, actor(), note);
      } catch (e) {
        if (e instanceof AlertStateError) throw new CliError(e.message, 1);
        if (e instanceof AlertNotFoundError) throw new CliError(`no alert ${id}: list them with 'baton alerts --all'`);
        throw e;
      }
    },
    silences: () => store.alerts.silences(Date.now()),
    async silence(matchers, ms, note) {
      const now = Date.now();
      const s: SilenceRecord = { id: newAlertId('si', now), matchers, startsAt: now, endsAt: now + ms, createdBy: actor(), createdAt: now, ...(note ? { comment: note } : {}) };
      await store.alerts.createSilence(s);
      return s;
    },
    async unsilence(id) {
      if (!(await store.alerts.expireSilence(id, Date.now()))) throw new CliError(`no silence ${id} in effect: list them with 'baton alerts silences'`);
    },
    close: () => store.close(),
  };
}

/** `baton alerts`: list, show, acknowledge, resolve, silence. */
export function registerAlerts(program: Command, globals: () => GlobalOptions): void {
  const cmd = program
    .command('alerts')
    .description('list alerts; show, acknowledge, resolve; silence and unsilence')
    .option('-s, --state <states>', `comma-separated: ${ALERT_STATES.join(', ')}; open = all but resolved`, 'open')
    .option('--rule <name>', 'only this rule')
    .option('--workflow <name>', 'only alerts about this workflow')
    .option('--all', 'every state, resolved included')
    .option('--json', 'print JSON')
    .addHelpText('after', `
Alerts come from the rules of 'baton server' (its baton.config.yaml, or the built-in ones,
and those set with 'baton alerts rules set'):
one open alert per rule and subject, firing -> acknowledged -> resolved, or silenced.
Acknowledging stops escalation and reminders; an alert resolves itself when its condition
clears (a later run succeeds, the step ends). With --server, through that server's API
(viewer token to read, operator to acknowledge, resolve and silence).`)
    .action(async (o: { state: string; rule?: string; workflow?: string; all?: boolean; json?: boolean }) => {
      const state = o.all ? undefined : parseStates(o.state);
      const access = await openAlerts(globals());
      try {
        const alerts = await access.list({ ...(state ? { state } : {}), ...(o.rule ? { rule: o.rule } : {}), ...(o.workflow ? { workflow: o.workflow } : {}) });
        if (o.json) {
          process.stdout.write(JSON.stringify(alerts, null, 2) + '\n');
          return;
        }
        if (!alerts.length) {
          process.stdout.write(`no ${o.all ? '' : `${o.state} `}alerts\n`);
          return;
        }
        const rows = [['ID', 'STATE', 'SEVERITY', 'RULE', 'FIRED', 'SUMMARY']];
        for (const a of alerts) rows.push([a.id, a.state, a.severity, a.rule, ago(a.firedAt), a.summary.length > 80 ? `${a.summary.slice(0, 79)}…` : a.summary]);
        process.stdout.write(table(rows) + '\n');
      } finally {
        await access.close();
      }
    });
  const json = (sub: { json?: boolean }): boolean => sub.json ?? cmd.opts<{ json?: boolean }>().json ?? false;

  cmd.command('show')
    .description('one alert: its state, events (who, when, note) and deliveries (channel, outcome, attempts)')
    .argument('<id>', 'alert id')
    .option('--json', 'print JSON')
    .action(async (id: string, sub: { json?: boolean }) => {
      const access = await openAlerts(globals());
      try {
        const detail = await access.show(id);
        if (json(sub)) {
          process.stdout.write(JSON.stringify(detail, null, 2) + '\n');
          return;
        }
        const { alert, events, deliveries } = detail;
        const out = [
          `${alert.id}  ${alert.state}  ${alert.severity}  rule ${alert.rule} (${alert.kind})`,
          alert.summary,
          `subject: ${Object.entries(alert.subject).map(([k, v]) => `${k}=${v}`).join(' ')}`,
          `fired ${formatTime(alert.firedAt)}${alert.count > 1 ? `, seen ${alert.count} times` : ''}${alert.acknowledgedAt ? `; acknowledged ${formatTime(alert.acknowledgedAt)} by ${alert.acknowledgedBy}` : ''}${alert.resolvedAt ? `; resolved ${formatTime(alert.resolvedAt)} by ${alert.resolvedBy}` : ''}`,
          '', 'events:',
          ...events.map((e) => `  ${formatTime(e.at)}  ${e.type.padEnd(12)} ${e.actor}${e.note ? `  ${e.note}` : ''}`),
          '', deliveries.length ? 'deliveries:' : 'deliveries: none',
          ...deliveries.map((d) => `  ${formatTime(d.createdAt)}  ${d.channel.padEnd(12)} ${d.reason.padEnd(10)} ${d.state} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${d.statusCode !== undefined ? ` (${d.statusCode})` : ''}${d.error ? `: ${d.error}` : ''}`),
        ];
        process.stdout.write(out.join('\n') + '\n');
      } finally {
        await access.close();
      }
    });

  for (const verb of ['ack', 'resolve'] as const) {
    cmd.command(verb)
      .description(verb === 'ack' ? 'acknowledge: stop escalation and reminders (someone is on it)' : 'resolve by hand')
      .argument('<id>', 'alert id')
      .option('--note <text>', 'recorded with the change')
      .option('--json', 'print the alert as JSON')
      .action(async (id: string, sub: { note?: string; json?: boolean }) => {
        const access = await openAlerts(globals());
        try {
          const alert = await access.act(id, verb, sub.note);
          process.stdout.write(json(sub) ? JSON.stringify(alert, null, 2) + '\n' : `${alert.id}: ${alert.state}\n`);
        } finally {
          await access.close();
        }
      });
  }

  cmd.command('silence')
    .description('silence matching alerts for a while (they stay recorded; none notifies)')
    .argument('<matchers...>', 'label=value or label=~glob: workflow, rule, kind, step, run, worker, schedule, severity, or a rule label')
    .requiredOption('--for <duration>', 'how long, e.g. 2h, 30m')
    .option('--note <text>', 'why (shown with the silence)')
    .action(async (args: string[], o: { for: string; note?: string }) => {
      const matchers = parseMatchers(args);
      let ms: number;
      try {
        ms = parseDuration(o.for);
      } catch {
        throw new CliError(`--for '${o.for}' is not a duration such as 30m or 2h`, 2);
      }
      const access = await openAlerts(globals());
      try {
        const silence = await access.silence(matchers, ms, o.note);
        process.stdout.write(`${silence.id}: silenced ${args.join(' ')} until ${formatTime(silence.endsAt)}\n`);
      } finally {
        await access.close();
      }
    });

  cmd.command('unsilence')
    .description('end a silence now; alerts it covered notify again')
    .argument('<id>', 'silence id (baton alerts silences)')
    .action(async (id: string) => {
      const access = await openAlerts(globals());
      try {
        await access.unsilence(id);
        process.stdout.write(`${id}: ended\n`);
      } finally {
        await access.close();
      }
    });

  registerAlertRules(cmd, globals);

  cmd.command('silences')
    .description('silences in effect or to come')
    .option('--json', 'print JSON')
    .action(async (sub: { json?: boolean }) => {
      const access = await openAlerts(globals());
      try {
        const list = await access.silences();
        if (json(sub)) {
          process.stdout.write(JSON.stringify(list, null, 2) + '\n');
          return;
        }
        if (!list.length) {
          process.stdout.write('no silences\n');
          return;
        }
        const rows = [['ID', 'MATCHERS', 'UNTIL', 'BY', 'NOTE']];
        for (const s of list) rows.push([s.id, s.matchers.map((m) => `${m.name}${m.glob ? '=~' : '='}${m.value}`).join(' '), formatTime(s.endsAt), s.createdBy, s.comment ?? '']);
        process.stdout.write(table(rows) + '\n');
      } finally {
        await access.close();
      }
    });
}
