// Helpers shared by the benchmark scripts: command-line options, how figures are summed up, and a
// `baton server` process to measure against.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/baton.js', import.meta.url));

const args = process.argv.slice(2);

/** The value after `--name` on the command line, or `dflt`. */
export const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** Whether `--name` is on the command line. */
export const flag = (name) => args.includes(`--${name}`);

/** The median of some numbers (the mean of the middle two for an even count). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A number with thousands separators and `d` decimals. */
/**
 * mulberry32, a seeded uniform generator in [0, 1): a figure (or a failure) comes out the same
 * from the same seed on every run and machine.
 */
export function rng(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * Starts `baton server` on a fresh SQLite file under `dir` (`dir/data/baton.db`), serving the
 * workflows of `flows`, with an operator token; resolves once its API listens. `stop` ends it
 * and removes `dir`.
 */
export async function startBatonServer(dir, flows) {
  const db = join(dir, 'data', 'baton.db');
  const token = spawnSync(process.execPath, [BIN, '--db', db, 'token', 'create', '--role', 'operator'], { encoding: 'utf8' }).stdout.trim();
  const server = spawn(process.execPath, [BIN, '--db', db, 'server', '--port', '0', '--workflows', flows], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (b) => {
      out += b;
      const m = /API listening on (http:\/\/\S+)\/api\/v1/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`baton server exited ${code}: ${out}`)));
  });
  server.stdout.resume();
  return {
    url, token,
    async stop() {
      server.kill('SIGINT');
      await new Promise((r) => server.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
