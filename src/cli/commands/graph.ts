import type { Command } from 'commander';
import { toMermaid } from '../../workflow/index.js';
import { loadOrExplain } from './run.js';

/** `baton graph FILE`: the DAG as Mermaid text. */
export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('print the workflow DAG as Mermaid text (paste into any Mermaid viewer)')
    .argument('<file>', 'workflow file')
    .action(async (file: string) => {
      process.stdout.write(toMermaid(await loadOrExplain(file)) + '\n');
    });
}
