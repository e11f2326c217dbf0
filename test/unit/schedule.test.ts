import { nextFireTime, parseSchedule, repeatOptions, type Schedule } from '../../server/domain/schedule';

const ok = (config: Record<string, unknown>): Schedule => {
  const r = parseSchedule(config);
  if (!r.ok) throw new Error(`${r.problem.field}: ${r.problem.message}`);
  return r.schedule;
};

describe('parseSchedule', () => {
  it.each([
    ['every 30s', 30_000],
    ['every 30m', 1_800_000],
    ['every 2h', 7_200_000],
    ['every 1d', 86_400_000],
    ['every 1s', 1000],
    ['EVERY 5 M', 300_000],
    ['every 1.5m', 90_000],
  ])('%p -> every %p ms', (cron, every) => {
    expect(repeatOptions(ok({ cron }))).toEqual({ every });
  });

  it('takes interval_seconds', () => {
    expect(repeatOptions(ok({ interval_seconds: 1800 }))).toEqual({ every: 1_800_000 });
  });

  it('takes a 5-field cron with and without a time zone', () => {
    expect(repeatOptions(ok({ cron: '0 9 * * 1-5' }))).toEqual({ pattern: '0 9 * * 1-5' });
    expect(repeatOptions(ok({ cron: ' 0  9 * * 1-5 ', timezone: 'Europe/Prague' }))).toEqual({ pattern: '0 9 * * 1-5', tz: 'Europe/Prague' });
  });

  it.each<[Record<string, unknown>, string, RegExp]>([
    [{ cron: 'every 5y' }, 'config.cron', /unknown unit 'y'/],
    [{ cron: 'every 0s' }, 'config.cron', /at least 1 second/],
    [{ cron: 'every fast' }, 'config.cron', /neither/],
    [{ cron: '61 * * * *' }, 'config.cron', /invalid cron/],
    [{ cron: '* * * *' }, 'config.cron', /5 fields/],
    [{ cron: '0 * * * * *' }, 'config.cron', /5 fields/],
    [{ cron: '' }, 'config.cron', /non-empty/],
    [{ cron: 5 }, 'config.cron', /string/],
    [{}, 'config.cron', /needs/],
    [{ interval_seconds: 0.5 }, 'config.interval_seconds', /at least 1 second/],
    [{ interval_seconds: '60' }, 'config.interval_seconds', /number/],
    [{ cron: 'every 1m', interval_seconds: 60 }, 'config', /not both/],
    [{ cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'config.timezone', /unknown time zone/],
  ])('%p is refused naming %s', (config, field, message) => {
    const r = parseSchedule(config);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem.field).toBe(field);
      expect(r.problem.message).toMatch(message);
    }
  });
});

describe('nextFireTime', () => {
  it('adds the interval for every-schedules', () => {
    expect(nextFireTime(ok({ cron: 'every 30m' }), new Date('2026-01-01T10:00:00Z')).toISOString()).toBe('2026-01-01T10:30:00.000Z');
  });

  it('follows cron in UTC without a time zone', () => {
    expect(nextFireTime(ok({ cron: '0 9 * * *' }), new Date('2026-01-01T10:00:00Z')).toISOString()).toBe('2026-01-02T09:00:00.000Z');
  });

  it('follows cron in the given time zone, across a DST change', () => {
    const s = ok({ cron: '0 9 * * 1-5', timezone: 'Europe/Prague' });
    // Friday 27 March 2026, 12:00 UTC: next weekday 09:00 Prague is Monday 30 March, already summer time (UTC+2).
    expect(nextFireTime(s, new Date('2026-03-27T12:00:00Z')).toISOString()).toBe('2026-03-30T07:00:00.000Z');
    // In winter (UTC+1) the same 09:00 is 08:00 UTC.
    expect(nextFireTime(s, new Date('2026-01-05T06:00:00Z')).toISOString()).toBe('2026-01-05T08:00:00.000Z');
  });

  it('uses America/New_York offsets', () => {
    const s = ok({ cron: '30 17 * * *', timezone: 'America/New_York' });
    expect(nextFireTime(s, new Date('2026-07-01T00:00:00Z')).toISOString()).toBe('2026-07-01T21:30:00.000Z');
  });
});
