import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatSpecError, toMermaid } from '../../workflow/index.js';
import type { LlmOptions } from '../assistant.js';
import { confirm, requireAssistant } from '../assistant.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../context.js';

interface DraftCliOptions extends LlmOptions {
  output?: string;
  yes?: boolean;
}

/** `baton draft "DESCRIPTION"`: a workflow file written by the language model, validated by baton. */
export function registerDraft(program: Command, globals: () => GlobalOptions): void {
  program
    .command('draft')
    .description('write a workflow file from a description with the configured language model, validated (and repaired) with baton validate')
    .argument('<description>', 'what the workflow does, in words')
    .option('-o, --output <file>', 'where to write it (default: NAME.yaml in the current folder)')
    .option('-y, --yes', 'write it without asking (required when stdin is not a terminal)')
    .option('--no-llm', 'refuse to use the model (as BATON_LLM=off)')
    .option('--verbose', 'print each exchange with the model (bytes sent, tokens, ms) on stderr')
    .addHelpText('after', `
Needs BATON_LLM_URL and BATON_LLM_MODEL (README: "Language model"). The model gets the
workflow JSON Schema and the example workflows of baton's examples/ folder (when present,
at most 24 KiB); its YAML is checked with the validator of baton validate and, while it is
invalid, the errors are sent back for a repair, at most 3 times. The result is printed with
its graph (Mermaid, as baton graph) and written only when confirmed (--yes). Exchanges are
logged to .baton/assistant.log.

Exit codes: 0 valid (written or not), 1 still invalid after 3 repairs, 2 usage.

Example:
  baton draft "every night at 2, fetch sales, forecast each product in parallel, alert on stockouts" -o nightly.yaml`)
    .action(async (description: string, o: DraftCliOptions) => {
      const assistant = await requireAssistant(globals(), o, 'baton draft');
      const { draftWorkflow } = await import('../../observe/index.js');
      const target = o.output !== undefined ? resolve(o.output) : undefined;
      const r = await draftWorkflow(assistant, description, { baseDir: resolve(target ? resolve(target, '..') : '.'), label: o.output ?? 'draft.yaml' });
      process.stdout.write(r.yaml);
      if (!r.spec) {
        process.stderr.write(`the draft is still invalid after ${r.attempts - 1} repairs:\n${r.errors.map((e) => `  ${formatSpecError(e)}`).join('\n')}\nnot written\n`);
        process.exitCode = EXIT.failed;
        return;
      }
      process.stdout.write(`\n# graph (Mermaid)\n${toMermaid(r.spec)}\n`);
      process.stderr.write(`valid (${r.spec.steps.length} steps) after ${r.attempts} ${r.attempts === 1 ? 'answer' : 'answers'}\n`);
      const file = target ?? resolve(`${r.spec.name}.yaml`);
      const exists = existsSync(file);
      let ok: boolean;
      try {
        ok = await confirm(`Write ${file}${exists ? ' (it exists: replace it)' : ''}?`, o.yes);
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        process.stderr.write(`not written: stdin is not a terminal; give --yes to write ${file}\n`);
        return;
      }
      if (!ok) {
        process.stderr.write('not written\n');
        return;
      }
      writeFileSync(file, r.yaml);
      process.stderr.write(`wrote ${file}\n`);
    });
}
