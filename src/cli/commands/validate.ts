import type { Command } from 'commander';
import { formatSpecError, validateWorkflowFile } from '../../workflow/index.js';
import { EXIT } from '../context.js';
import { count } from '../format.js';

/** `baton validate FILE…`: reports every problem of every file. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check workflow files and report every problem with file, line, column and field')
    .argument('<files...>', 'workflow files')
    .option('--json', 'print the problems as JSON')
    .addHelpText('after', '\nExit codes: 0 all valid, 2 any invalid.')
    .action(async (files: string[], o: { json?: boolean }) => {
      let invalid = 0;
      const report: Record<string, unknown> = {};
      for (const file of files) {
        const { spec, errors } = await validateWorkflowFile(file);
        report[file] = errors;
        if (errors.length) invalid++;
        if (o.json) continue;
        if (errors.length === 0) {
          process.stdout.write(`${file}: ok (${spec?.name ?? ''}, ${count(spec?.steps.length ?? 0, 'step')})\n`);
        } else {
          process.stderr.write(`${file}: ${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}\n`);
          for (const e of errors) process.stderr.write(`  ${formatSpecError(e)}\n`);
        }
      }
      if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      process.exitCode = invalid ? EXIT.usage : EXIT.ok;
    });
}
