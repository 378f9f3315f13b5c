import { describe, expect, it } from 'vitest';
import { decodeAlerting, deadlineAt, runDeadline, validateWorkflowText } from './index.js';

const check = (text: string) => validateWorkflowText(text, { label: 'flow.yaml', baseDir: '/tmp' });
const at = (iso: string) => Date.parse(iso);

describe('deadlines', () => {
  it('a duration counts from when the run is due', () => {
    expect(deadlineAt({ afterMs: 3_600_000 }, at('2026-12-07T02:00:00Z'))).toBe(at('2026-12-07T03:00:00Z'));
  });

  it('a time of day is the first one at or after the run is due, in the zone given', () => {
    const paris = 'Europe/Paris';
    expect(deadlineAt({ at: '06:00' }, at('2026-12-07T01:00:00Z'), paris)).toBe(at('2026-12-07T05:00:00Z'));
    // Due after six: until six the next morning.
    expect(deadlineAt({ at: '06:00' }, at('2026-12-07T06:30:00Z'), paris)).toBe(at('2026-12-08T05:00:00Z'));
    // Due exactly at the time: that time.
    expect(deadlineAt({ at: '06:00' }, at('2026-12-07T06:00:00Z'))).toBe(at('2026-12-07T06:00:00Z'));
    // Summer time: 06:00 in Paris is 04:00 UTC.
    expect(deadlineAt({ at: '06:00' }, at('2026-07-01T00:00:00Z'), paris)).toBe(at('2026-07-01T04:00:00Z'));
  });

  it('compiles on the workflow and on schedule entries; an entry\'s own wins and reads its zone', async () => {
    const { spec, errors } = await check(`name: nightly
deadline: 4h
schedule:
  - name: night
    cron: "0 2 * * *"
    timezone: Europe/Paris
    deadline: "06:00"
  - name: noon
    cron: "0 12 * * *"
steps:
  - id: a
    run: echo
`);
    expect(errors).toEqual([]);
    expect(spec?.deadline).toEqual({ afterMs: 14_400_000 });
    expect(spec?.schedules.map((s) => s.deadline)).toEqual([{ at: '06:00' }, undefined]);
    const view = decodeAlerting({ definition: JSON.parse(JSON.stringify(spec)) as unknown }).deadlines;
    const tick = at('2026-12-07T01:00:00Z');
    expect(runDeadline(view, { createdAt: tick + 5, scheduleId: 'nightly/night', tickAt: tick })).toBe(at('2026-12-07T05:00:00Z'));
    expect(runDeadline(view, { createdAt: tick, scheduleId: 'nightly/noon', tickAt: tick })).toBe(tick + 14_400_000);
    expect(runDeadline(view, { createdAt: tick, dueAt: tick + 60_000 })).toBe(tick + 60_000 + 14_400_000);
  });

  it('a workflow without one has none, and its stored definition is unchanged', async () => {
    const { spec } = await check('name: w\nsteps:\n  - id: a\n    run: echo\n');
    expect(spec && 'deadline' in spec).toBe(false);
    expect(runDeadline(decodeAlerting({ definition: JSON.parse(JSON.stringify(spec)) as unknown }).deadlines, { createdAt: 1 })).toBeUndefined();
  });

  it('names the file, line and field of a deadline that does not parse', async () => {
    const { errors } = await check(`name: w
deadline: "25:00"
schedule:
  cron: "0 2 * * *"
  deadline: soon
steps:
  - id: a
    run: echo
`);
    expect(errors.map((e) => ({ path: e.path, line: e.line, message: e.message }))).toEqual([
      { path: 'deadline', line: 2, message: expect.stringContaining('"25:00" is not a time of day') as unknown },
      { path: 'schedule.deadline', line: 5, message: expect.stringContaining('deadline must be a duration after the run is due') as unknown },
    ]);
  });
});
