import { chainStatusFilter, eventTypeFor, triggerSchedule, validateTriggerConfig, type TriggerType } from '../../server/domain/trigger-config';

describe('validateTriggerConfig', () => {
  it.each<[TriggerType, unknown]>([
    ['schedule', { cron: 'every 30m', event_type: 'scheduled_review', payload: { scope: 'recent' } }],
    ['schedule', { interval_seconds: 60 }],
    ['schedule', { cron: '0 9 * * 1-5', timezone: 'Europe/Prague', extra_desktop_field: 1 }],
    ['webhook', {}],
    ['manual', { event_type: 'run_now', payload: [1, 2] }],
    ['chain', { source_persona_id: 'p1' }],
    ['chain', { source_persona_id: 'p1', event_type: 'review_requested', status: 'failed' }],
    ['chain', { source_persona_id: 'p1', condition: { type: 'success' } }],
    ['polling', { url: 'https://example.com/feed.json', interval_seconds: 300, json_path: '$.items[*].id' }],
  ])('%s accepts %j', (type, config) => {
    expect(validateTriggerConfig(type, config).ok).toBe(true);
  });

  it.each<[TriggerType, unknown, string]>([
    ['schedule', { cron: 'every 5 weeks' }, 'config.cron'],
    ['schedule', { cron: 'nope' }, 'config.cron'],
    ['schedule', { interval_seconds: 0 }, 'config.interval_seconds'],
    ['schedule', {}, 'config.cron'],
    ['schedule', { cron: 'every 1m', event_type: '' }, 'config.event_type'],
    ['chain', {}, 'config.source_persona_id'],
    ['chain', { source_persona_id: 'p', status: 'done' }, 'config.status'],
    ['polling', { interval_seconds: 60 }, 'config.url'],
    ['polling', { url: 'ftp://example.com/x', interval_seconds: 60 }, 'config.url'],
    ['polling', { url: 'https://example.com', interval_seconds: 0.2 }, 'config.interval_seconds'],
    ['polling', { url: 'https://example.com' }, 'config.interval_seconds'],
    ['webhook', 'not an object', 'config'],
  ])('%s refuses %j naming %s', (type, config, field) => {
    const r = validateTriggerConfig(type, config);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.field)).toContain(field);
  });
});

describe('trigger helpers', () => {
  it('defaults event types per trigger type', () => {
    expect(eventTypeFor('schedule', {})).toBe('trigger_fired');
    expect(eventTypeFor('chain', {})).toBe('chain_triggered');
    expect(eventTypeFor('polling', {})).toBe('content_changed');
    expect(eventTypeFor('schedule', { event_type: ' check_status ' })).toBe('check_status');
  });

  it('reads the chain status filter and the desktop condition form', () => {
    expect(chainStatusFilter({})).toBe('any');
    expect(chainStatusFilter({ status: 'failed' })).toBe('failed');
    expect(chainStatusFilter({ condition: { type: 'success' } })).toBe('completed');
    expect(chainStatusFilter({ condition: { type: 'failure' } })).toBe('failed');
  });

  it('gives schedules for schedule and polling triggers only', () => {
    expect(triggerSchedule('schedule', { cron: 'every 2m' })).toEqual({ kind: 'every', everyMs: 120_000 });
    expect(triggerSchedule('polling', { url: 'https://x', interval_seconds: 30 })).toEqual({ kind: 'every', everyMs: 30_000 });
    expect(triggerSchedule('manual', {})).toBeNull();
    expect(triggerSchedule('schedule', { cron: 'bad' })).toBeNull();
  });
});
