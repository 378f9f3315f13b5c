import type { Command } from 'commander';
import { Option } from 'commander';
import { createToken } from '../../server/tokens.js';
import type { Role } from '../../store/index.js';
import { ROLES } from '../../store/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, openStore } from '../context.js';
import { formatTime, table } from '../format.js';

/** `baton token create|list|revoke`: API tokens, managed on the store directly. */
export function registerToken(program: Command, globals: () => GlobalOptions): void {
  const token = program
    .command('token')
    .description('manage API tokens of `baton server` (viewer reads; operator also runs, cancels, retries; admin also registers workflows and manages tokens)');

  token
    .command('create')
    .description('create a token and print it once (only its hash is stored)')
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES).makeOptionMandatory())
    .option('--name <name>', 'who or what uses it (shown in lists and in the events it causes)', '')
    .action(async (o: { role: Role; name: string }) => {
      const { store } = await openStore(globals());
      try {
        const created = await createToken(store, o.role, o.name, Date.now());
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`token ${created.record.id} (${o.role}${o.name ? `, ${o.name}` : ''}) created; it is shown once: store it now\n`);
      } finally {
        await store.close();
      }
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { store } = await openStore(globals());
      try {
        const tokens = (await store.api.listTokens()).map(({ hash: _h, ...t }) => t);
        if (o.json) return void process.stdout.write(JSON.stringify(tokens, null, 2) + '\n');
        if (!tokens.length) return void process.stdout.write("no tokens yet: create one with 'baton token create --role admin'\n");
        const rows = [['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED']];
        for (const t of tokens) {
          rows.push([t.id, t.name || '-', t.role, formatTime(t.createdAt), t.lastUsedAt ? formatTime(t.lastUsedAt) : '-', t.revokedAt ? formatTime(t.revokedAt) : '-']);
        }
        process.stdout.write(table(rows) + '\n');
      } finally {
        await store.close();
      }
    });

  token
    .command('revoke')
    .description('revoke a token: requests with it fail from now on')
    .argument('<id>', "the token's id (from 'baton token list')")
    .action(async (id: string) => {
      const { store } = await openStore(globals());
      try {
        if (!(await store.api.revokeToken(id, Date.now()))) throw new CliError(`no live token '${id}'`, EXIT.failed);
        process.stdout.write(`token ${id} revoked\n`);
      } finally {
        await store.close();
      }
    });
}
