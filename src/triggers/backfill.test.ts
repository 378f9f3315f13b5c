import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../workflow/index.js';
import { BackfillError, MAX_BACKFILL_TICKS, backfillTicks, parseRangeTime, pickSchedule } from './backfill.js';

const H = 3_600_000;

describe('backfillTicks', () => {
  it('lists the ticks in [from, to], both ends included, in the schedule\'s time zone', () => {
    const daily = { cron: '0 2 * * *', timezone: 'Europe/Paris' };
    const from = Date.UTC(2026, 10, 1, 1, 0); // 02:00 in Paris (UTC+1): a tick
    const ticks = backfillTicks(daily, from, from + 2 * 24 * H);
    expect(ticks.map((t) => new Date(t).toISOString())).toEqual(['2026-11-01T01:00:00.000Z', '2026-11-02T01:00:00.000Z', '2026-11-03T01:00:00.000Z']);
    expect(backfillTicks(daily, from + 1, from + 24 * H - 1)).toEqual([]);
  });

  it('follows daylight saving time as the scheduler does: the fall-back day is 25 hours, its repeated hour fires once', () => {
    const hourly = { cron: '0 * * * *', timezone: 'Europe/Paris' };
    const dayStart = parseRangeTime('2026-10-25', 'Europe/Paris')!;
    const nextDay = parseRangeTime('2026-10-26', 'Europe/Paris')!;
    expect(nextDay - dayStart).toBe(25 * H);
    // croner fires the repeated 02:00-03:00 hour once, as the live scheduler (same nextFireTimes) does.
    expect(backfillTicks(hourly, dayStart, nextDay - 1)).toHaveLength(24);
  });

  it('refuses a backwards range and one with more ticks than the bound, naming the bound', () => {
    const minutely = { cron: '* * * * *', timezone: 'UTC' };
    expect(() => backfillTicks(minutely, 2 * H, H)).toThrow(/is after --to/);
    expect(backfillTicks(minutely, 0, 99 * 60_000, 100)).toHaveLength(100);
    let thrown: unknown;
    try {
      backfillTicks(minutely, 0, 100 * 60_000, 100);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BackfillError);
    expect((thrown as BackfillError).problem).toBe('too-many-ticks');
    expect((thrown as BackfillError).message).toContain('more than 100 ticks');
    expect(MAX_BACKFILL_TICKS).toBe(10_000);
  });
});

describe('parseRangeTime', () => {
  it('reads a date or a date-time without offset as wall time in the zone, and an offset as written', () => {
    expect(parseRangeTime('2026-11-01', 'Europe/Paris')).toBe(Date.UTC(2026, 9, 31, 23, 0));
    expect(parseRangeTime('2026-07-01T02:30', 'Europe/Paris')).toBe(Date.UTC(2026, 6, 1, 0, 30));
    expect(parseRangeTime('2026-07-01T02:30', 'UTC')).toBe(Date.UTC(2026, 6, 1, 2, 30));
    expect(parseRangeTime('2026-07-01T02:30:00Z', 'Europe/Paris')).toBe(Date.UTC(2026, 6, 1, 2, 30));
    expect(parseRangeTime('2026-07-01T02:30+02:00', 'UTC')).toBe(Date.UTC(2026, 6, 1, 0, 30));
    expect(parseRangeTime('2026-02-30', 'UTC')).toBeUndefined();
    expect(parseRangeTime('yesterday', 'UTC')).toBeUndefined();
  });
});

describe('pickSchedule', () => {
  const spec = (schedule: unknown) => compileWorkflow({ name: 'w', steps: [{ id: 'a', run: 'true' }], ...(schedule ? { schedule } : {}) }, { baseDir: '/' });
  it('takes the only schedule, or the one named, and says which are there otherwise', () => {
    expect(pickSchedule(spec({ cron: '0 * * * *' })).id).toBe('w/default');
    const two = spec([{ name: 'hourly', cron: '0 * * * *' }, { name: 'daily', cron: '0 2 * * *' }]);
    expect(pickSchedule(two, 'daily').cron).toBe('0 2 * * *');
    expect(() => pickSchedule(two)).toThrow('has 2 schedules (hourly, daily): say which with --schedule NAME');
    expect(() => pickSchedule(two, 'weekly')).toThrow('has no schedule "weekly"');
    expect(() => pickSchedule(spec(undefined))).toThrow('declares no schedule');
  });
});
