/**
 * Searching a run's logs on SQLite (embedded mode: the log files beside the database), with
 * the real CLI and a real server: plain and regex, every attempt with its number, line
 * numbers across read pages, long lines searched in their first 4096 characters, a bad or
 * catastrophic regex refused (exit 2, HTTP 400).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { LogSearchResult } from '../src/observe/index.js';
import { baton, jsonEvents, tempDir } from './helpers.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('baton-logs-search-');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('baton logs --grep on SQLite', () => {
  it('finds lines in every attempt, by CLI and API, plain and regex; refuses a bad or catastrophic regex', async () => {
    const marker = join(dir, 'tried');
    // `flaky` fails its first attempt; `bulk` writes 1.5 MiB (more than one read page) with
    // the needle on a line that spans the page boundary, then a 10 000-character line.
    writeFileSync(join(dir, 'flow.yaml'), `name: search
steps:
  - id: flaky
    retry: { attempts: 2, backoff: fixed, delay: 10ms }
    run: |
      echo "flaky starts"
      if [ ! -f '${marker}' ]; then touch '${marker}'; echo "Error: first try fails"; exit 1; fi
      echo "second try works"
  - id: bulk
    run: |
      yes "$(head -c 1023 /dev/zero | tr '\\0' a)" | head -n 1023
      head -c 1030 /dev/zero | tr '\\0' b; echo "NEEDLE-across-pages"
      head -c 500000 /dev/zero | tr '\\0' c; echo
      head -c 5000 /dev/zero | tr '\\0' d; echo "NEEDLE-too-far"
`);
    const run = await baton(['run', 'flow.yaml', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    const runId = jsonEvents(run.stdout)[0]!.runId;

    const grep = async (...args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> => baton(['logs', runId, ...args], dir);
    const plain = await grep('--grep', 'try', '--json');
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual({
      matches: [
        { stepId: 'flaky', attempt: 1, line: 2, offset: 13, text: 'Error: first try fails' },
        { stepId: 'flaky', attempt: 2, line: 2, offset: 13, text: 'second try works' },
      ],
      truncated: false,
    });
    const text = await grep('flaky', '--grep', 'error', '-i');
    expect(text.stdout).toBe('flaky#1:2: Error: first try fails\n');

    // Line numbers run on across read pages; a line is searched in its first 4096 characters only.
    const needle = JSON.parse((await grep('bulk', '--grep', 'NEEDLE', '--json')).stdout) as LogSearchResult;
    expect(needle.matches.map((m) => [m.line, m.offset, m.text.length, m.text.slice(-19)])).toEqual([[1024, 1023 * 1024, 1049, 'NEEDLE-across-pages']]);
    const long = JSON.parse((await grep('bulk', '--grep', '^c+$', '--regex', '--json')).stdout) as LogSearchResult;
    expect(long.matches.map((m) => [m.line, m.offset, m.text.length])).toEqual([[1025, 1023 * 1024 + 1050, 4096]]);

    const bad = await grep('--grep', '*oops', '--regex');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a valid regular expression');
    // Exponential on the line of b's that ends in NEEDLE: stopped by the time budget.
    const slow = await grep('--grep', '^(b+)+$', '--regex');
    expect(slow.code).toBe(2);
    expect(slow.stderr).toContain('backtracks too much');
    expect((await grep('--grep', 'absent')).code).toBe(1);

    let api: TestApi | undefined;
    const store = openSqliteStore(join(dir, '.baton', 'baton.db'));
    try {
      api = await startApi({ store });
      const found = await api.call('GET', `/api/v1/runs/${runId}/logs?q=TRY&ignoreCase=true&step=flaky`, { role: 'viewer' });
      expect(found.status).toBe(200);
      expect(found.body).toEqual(JSON.parse(plain.stdout));
      // A match's offset is where the log shows its line; a long log opens on its last bytes.
      const log = `/api/v1/runs/${runId}/steps/bulk/attempts/1/log`;
      const at = await api.call('GET', `${log}?offset=${needle.matches[0]!.offset}&limit=1049`, { role: 'viewer' });
      expect(at.text.slice(-19)).toBe('NEEDLE-across-pages');
      const tail = await api.call('GET', `${log}?tail=100`, { role: 'viewer' });
      const size = Number(tail.headers.get('x-log-size'));
      expect(size).toBe(1023 * 1024 + 1050 + 500001 + 5015);
      expect(tail.headers.get('x-log-offset')).toBe(String(size - 100));
      expect(tail.text).toMatch(/^d+NEEDLE-too-far\n$/);
      expect(tail.text.length).toBe(100);
      const whole = await api.call('GET', `/api/v1/runs/${runId}/steps/flaky/attempts/1/log?tail=100000`, { role: 'viewer' });
      expect(whole.headers.get('x-log-offset')).toBe('0');
      expect(whole.text).toBe('flaky starts\nError: first try fails\n');
      const one = await api.call('GET', `/api/v1/runs/${runId}/logs?q=aaaa&limit=1`, { role: 'viewer' });
      expect(one.body).toMatchObject({ truncated: true, matches: [{ stepId: 'bulk', line: 1 }] });
      for (const q of ['(', '^(b+)+$']) {
        const r = await api.call('GET', `/api/v1/runs/${runId}/logs?q=${encodeURIComponent(q)}&regex=true`, { role: 'viewer' });
        expect(r.status).toBe(400);
        expect((r.body as { error: { code: string } }).error.code).toBe(q === '(' ? 'bad-pattern' : 'pattern-too-slow');
      }
      expect((await api.call('GET', `/api/v1/runs/${runId}/logs?q=`, { role: 'viewer' })).status).toBe(400);
      expect((await api.call('GET', `/api/v1/runs/${runId}/logs?q=x`, { role: 'none' })).status).toBe(401);
    } finally {
      await api?.close();
      await store.close();
    }
  });
});
