import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatSpecError } from '../../workflow/index.js';
import type { Platform } from '../../observe/index.js';
import type { LlmOptions } from '../assistant.js';
import { requireAssistant } from '../assistant.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../context.js';

interface AdaptCliOptions extends LlmOptions {
  platform: string;
  write?: boolean;
}

const PLATFORM_NAMES = ['linux', 'darwin', 'win32'];

/** `baton adapt FILE --platform P`: per-platform command variants proposed by the model, as a diff. */
export function registerAdapt(program: Command, globals: () => GlobalOptions): void {
  program
    .command('adapt')
    .description("propose a command for a platform (the run map: linux, darwin, win32) for each step lacking one, with the configured language model; prints a unified diff")
    .argument('<file>', 'workflow file (YAML)')
    .requiredOption('--platform <platform>', 'linux, darwin or win32')
    .option('--write', 'apply the diff to the file (only when the result passes baton validate)')
    .option('--no-llm', 'refuse to use the model (as BATON_LLM=off)')
    .option('--verbose', 'print each exchange with the model (bytes sent, tokens, ms) on stderr')
    .addHelpText('after', `
Needs BATON_LLM_URL and BATON_LLM_MODEL (README: "Language model"). Only the run values of
steps without a command for the platform change: a plain run becomes a map keeping its
command for the other platforms. The result is checked with baton validate before it is
shown; --write writes it. Exchanges are logged to .baton/assistant.log.

Exit codes: 0 diff printed (or nothing to adapt), 1 the adapted file is invalid, 2 usage.`)
    .action(async (file: string, o: AdaptCliOptions) => {
      if (!PLATFORM_NAMES.includes(o.platform)) throw new CliError(`--platform must be linux, darwin or win32, got '${o.platform}'`);
      let src: string;
      try {
        src = readFileSync(file, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const { adaptCandidates, adaptWorkflow, unifiedDiff } = await import('../../observe/index.js');
      const platform = o.platform as Platform;
      if (!adaptCandidates(src, platform).length) {
        process.stderr.write(`every step of ${file} with a run command has one for ${platform}: nothing to adapt\n`);
        return;
      }
      const assistant = await requireAssistant(globals(), o, 'baton adapt');
      const r = await adaptWorkflow(assistant, src, platform, { label: file, baseDir: dirname(resolve(file)) });
      if (r.skipped.length) process.stderr.write(`no usable ${platform} command proposed for: ${r.skipped.join(', ')}\n`);
      if (!r.adapted.length) return;
      process.stdout.write(unifiedDiff(src, r.text, basename(file)));
      if (r.errors.length) {
        process.stderr.write(`the adapted file does not pass baton validate; not written:\n${r.errors.map((e) => `  ${formatSpecError(e)}`).join('\n')}\n`);
        process.exitCode = EXIT.failed;
        return;
      }
      if (!o.write) {
        process.stderr.write(`${r.adapted.length} step(s) adapted for ${platform}; --write applies the diff\n`);
        return;
      }
      writeFileSync(file, r.text);
      process.stderr.write(`wrote ${file} (${r.adapted.join(', ')} adapted for ${platform})\n`);
    });
}
