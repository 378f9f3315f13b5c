/**
 * @module observe/channels/compile
 * From the config's `channels:` to ready {@link ChannelSpec}s: durations to ms, defaults
 * filled in, secret values read (from the env or files the config names) and a masker that
 * hides them in every error a channel reports.
 */
import type { BatonConfig } from '../../workflow/index.js';
import { compileSecret, parseDuration } from '../../workflow/index.js';
import { createMasker, resolveSecrets } from '../../executors/index.js';
import { BatonError } from '../../shared/index.js';
import type { ChannelSpec } from './types.js';

/** A secret the config needs could not be read. */
export class ChannelSecretError extends BatonError {
  constructor(message: string) {
    super('channel-secret-missing', message);
  }
}

/**
 * The specs of every channel in `config`.
 * @throws ChannelSecretError naming each secret that is unset, empty or unreadable.
 */
export function compileChannels(config: BatonConfig, env: Readonly<Record<string, string | undefined>> = process.env): ChannelSpec[] {
  const secrets = (config.secrets ?? []).map(compileSecret);
  const resolved = resolveSecrets(secrets, config.baseDir, env);
  if (!resolved.ok) throw new ChannelSecretError(resolved.missing.map((m) => m.message).join('; '));
  const values = resolved.values;
  const masker = createMasker(Object.values(values));
  const mask = (text: string): string => masker.mask(text);
  const ms = (v: string | number | undefined, fallback: number): number => (v === undefined ? fallback : parseDuration(v));
  return Object.entries(config.channels ?? {}).map(([name, c]): ChannelSpec => {
    const base = { name, sendResolved: c.sendResolved ?? true, mask, ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) };
    if (c.webhook) {
      return {
        ...base, type: 'webhook',
        webhook: {
          url: c.webhook.url, format: c.webhook.format ?? 'baton', headers: c.webhook.headers ?? {}, timeoutMs: ms(c.webhook.timeout, 10_000),
          ...(c.webhook.secret ? { secret: values[c.webhook.secret]! } : {}),
        },
      };
    }
    if (c.email) {
      const e = c.email;
      return {
        ...base, type: 'email',
        email: {
          host: e.host, port: e.port ?? (e.secure ? 465 : 587), secure: e.secure ?? false, requireTls: e.requireTls ?? false,
          from: e.from, to: typeof e.to === 'string' ? [e.to] : e.to, subjectPrefix: e.subjectPrefix ?? '[baton]', timeoutMs: ms(e.timeout, 10_000),
          ...(e.auth ? { auth: { user: e.auth.user, password: values[e.auth.password]! } } : {}),
        },
      };
    }
    const cmd = c.command!;
    return {
      ...base, type: 'command',
      command: { run: cmd.run, timeoutMs: ms(cmd.timeout, 30_000), cwd: config.baseDir, env: Object.fromEntries((cmd.secrets ?? []).map((s) => [s, values[s]!])) },
    };
  });
}
