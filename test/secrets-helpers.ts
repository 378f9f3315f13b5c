/** The secrets of test/fixtures/engine/secrets_five.yaml, shared by the engine and CLI tests. */
import { readFileSync } from 'node:fs';
import { fixture } from './helpers.js';

/** The values secrets_five.yaml reads, and every form of them that must never appear. */
export const FIVE = {
  env: { SECRETS_FIVE_TOKEN: 'tok5-a1b2c3d4e5f6g7h8', SECRETS_FIVE_QUOTED: 'qu"ot\\ed\'s3cr3t', SECRETS_FIVE_DB: 'db-pass-98765' },
  pem: readFileSync(fixture('secrets_five.pem'), 'utf8').trimEnd(),
  key: 'key-0f9e8d7c6b5a',
};
/** Each value, each line of the PEM, their JSON-escaped forms, and the token's first 8 characters. */
export function forbidden(): string[] {
  const values = [...Object.values(FIVE.env), FIVE.pem, FIVE.key];
  const forms = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1), ...v.split('\n')]);
  return [...new Set([...forms.filter((f) => f.length >= 4), FIVE.env.SECRETS_FIVE_TOKEN.slice(0, 8)])];
}
