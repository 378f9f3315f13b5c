/**
 * @module cli/commands/alert-rules
 * `baton alerts rules`: the rules in effect with their source, and rules set (or deleted)
 * through the API. With `--server`, through that server's API (admin token to change);
 * else on the store itself, with the config file read to list (and check channels against)
 * what a server on this store would run.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { decodeStoredRules, RuleSet, summarizeRule } from '../../observe/index.js';
import type { Store } from '../../store/index.js';
import type { BatonConfig, ParsedAlertRule } from '../../workflow/index.js';
import { CONFIG_FILE_NAME, formatSpecError, loadConfigFile, MAX_WORKFLOW_BYTES, validateAlertRuleText, WorkflowValidationError } from '../../workflow/index.js';
import type { AlertRuleInfo } from '../client.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, openStore } from '../context.js';
import { table } from '../format.js';

/** Where rules are read and changed: a server's API, or the store (with the config beside it). */
interface RulesAccess {
  list(): Promise<AlertRuleInfo[]>;
  set(name: string, rule: ParsedAlertRule): Promise<{ rule: AlertRuleInfo; created: boolean }>;
  /** @returns the rule of that name in effect after the delete, if any. */
  remove(name: string): Promise<AlertRuleInfo | undefined>;
  /** Channels to check a rule against before sending it; undefined when unknown (the server checks). */
  channels: ReadonlySet<string> | undefined;
  close(): Promise<void>;
}

async function localConfig(file: string | undefined): Promise<BatonConfig | undefined> {
  const path = file ?? (existsSync(CONFIG_FILE_NAME) ? CONFIG_FILE_NAME : undefined);
  if (path === undefined) return undefined;
  try {
    return await loadConfigFile(path);
  } catch (e) {
    if (e instanceof WorkflowValidationError) throw new CliError(e.errors.map(formatSpecError).join('\n'), EXIT.usage);
    throw e;
  }
}

/** The rules a server with `config` on `store` runs (what `GET /alerts/rules` lists). */
async function effective(store: Store, config: BatonConfig | undefined): Promise<AlertRuleInfo[]> {
  const set = new RuleSet(config?.alerts, Object.keys(config?.channels ?? {}), config?.defaultNotify, config?.defaultEscalate);
  const { rules, problems } = decodeStoredRules((await store.alerts.storedRules()).rules);
  for (const p of problems) process.stderr.write(`baton: ${p}\n`);
  set.setApiRules(rules);
  return set.server.map(summarizeRule);
}

async function openRules(o: GlobalOptions, configFile: string | undefined): Promise<RulesAccess> {
  const api = connect(o);
  if (api) {
    return {
      list: () => api.listAlertRules(),
      set: (name, rule) => api.setAlertRule(name, rule),
      remove: async (name) => (await api.deleteAlertRule(name)).restored,
      channels: undefined,
      close: () => Promise.resolve(),
    };
  }
  const config = await localConfig(configFile);
  const { store } = await openStore(o);
  const find = async (name: string): Promise<AlertRuleInfo | undefined> => (await effective(store, config)).find((r) => r.name === name);
  return {
    list: () => effective(store, config),
    async set(name, rule) {
      const { created } = await store.alerts.putRule({ name, definition: rule, updatedAt: Date.now(), updatedBy: `cli:${userInfo().username}` });
      return { rule: (await find(name))!, created };
    },
    async remove(name) {
      if (!(await store.alerts.deleteRule(name))) throw new CliError(`no rule ${name} was set through the API: list them with 'baton alerts rules'`, EXIT.failed);
      return find(name);
    },
    channels: config ? new Set(Object.keys(config.channels ?? {})) : undefined,
    close: () => store.close(),
  };
}

/** Reads and checks a rule file (YAML or JSON) with positions, as the server would take it. */
function readRule(file: string, name: string, channels: ReadonlySet<string> | undefined): ParsedAlertRule {
  let text: string;
  try {
    if (statSync(file).size > MAX_WORKFLOW_BYTES) throw new CliError(`${file} is larger than ${MAX_WORKFLOW_BYTES} bytes`, EXIT.usage);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.usage);
  }
  const { rule, errors } = validateAlertRuleText(text, { label: file, name, ...(channels ? { channels } : {}) });
  if (!rule) throw new CliError(`${file} is not a valid alert rule (${errors.length} ${errors.length === 1 ? 'error' : 'errors'}):\n${errors.map((e) => '  ' + formatSpecError(e)).join('\n')}`, EXIT.usage);
  return rule;
}

const describeRule = (r: AlertRuleInfo): string => `${r.name} (${r.kind}, ${r.source}${r.enabled ? '' : ', disabled'})`;

/** `baton alerts rules`, `… rules set NAME --file F`, `… rules delete NAME`. */
export function registerAlertRules(alerts: Command, globals: () => GlobalOptions): void {
  const cmd = alerts.command('rules')
    .description('the rules in effect with their source (builtin, config, api); set and delete rules through the API')
    .option('--json', 'print JSON')
    .option('--config <file>', `without --server: the servers' config file (default ./${CONFIG_FILE_NAME} when present)`)
    .addHelpText('after', `
A rule set here is stored with the runs and overrides the config's (or the built-in) rule of
its name on every server of the store within a second or two, without a restart; deleting it
restores that rule. The file holds one rule as in baton.config.yaml's alerts: (YAML or JSON);
its name defaults to NAME. With --server, an admin token.`)
    .action(async (o: { json?: boolean; config?: string }) => {
      const access = await openRules(globals(), o.config);
      try {
        const rules = await access.list();
        // `baton alerts` has a --json of its own, which takes the flag wherever it is written.
        if (o.json ?? alerts.opts<{ json?: boolean }>().json) {
          process.stdout.write(JSON.stringify(rules, null, 2) + '\n');
          return;
        }
        const rows = [['NAME', 'KIND', 'SOURCE', 'SEVERITY', 'NOTIFY', 'ENABLED']];
        for (const r of rules) rows.push([r.name, r.kind, r.source, r.severity, r.notify.join(',') || '-', r.enabled ? 'yes' : 'no']);
        process.stdout.write(table(rows) + '\n');
      } finally {
        await access.close();
      }
    });
  const configOf = (): string | undefined => cmd.opts<{ config?: string }>().config;

  cmd.command('set')
    .description('set a rule through the API from a YAML or JSON file (creates it, or replaces the one set before)')
    .argument('<name>', 'the rule\'s name')
    .requiredOption('--file <file>', 'one rule, as an entry of baton.config.yaml\'s alerts:')
    .action(async (name: string, sub: { file: string }) => {
      const access = await openRules(globals(), configOf());
      try {
        const rule = readRule(sub.file, name, access.channels);
        const { rule: set, created } = await access.set(name, rule);
        process.stdout.write(`${describeRule(set)}: ${created ? 'set' : 'replaced'}\n`);
      } finally {
        await access.close();
      }
    });

  cmd.command('delete')
    .description('delete a rule set through the API: the config\'s (or the built-in) rule of its name applies again')
    .argument('<name>', 'the rule\'s name')
    .action(async (name: string) => {
      const access = await openRules(globals(), configOf());
      try {
        const restored = await access.remove(name);
        process.stdout.write(`${name}: deleted${restored ? `; ${describeRule(restored)} applies again` : ''}\n`);
      } finally {
        await access.close();
      }
    });
}
