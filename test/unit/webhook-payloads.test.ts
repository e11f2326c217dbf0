import fs from 'node:fs';
import path from 'node:path';
import { githubSourceId, mapGithubDelivery } from '../../server/domain/github';
import { mapSlackRequest } from '../../server/domain/slack';
import { parseWebhookBody } from '../../server/domain/webhook-body';

const fixture = (dir: string, name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', dir, `${name}.json`), 'utf8'));

describe('mapGithubDelivery', () => {
  it.each([
    ['push', 'push', 'github_push'],
    ['pull_request', 'pull_request', 'github_pull_request'],
    ['push', 'Issue_Comment', 'github_issue_comment'],
  ])('%s delivered as %s -> %s from repository.full_name, keeping the whole payload', (name, header, eventType) => {
    const body = fixture('github', name);
    expect(mapGithubDelivery(header, body)).toEqual({
      ok: true, ping: false, event: { eventType, sourceType: 'github', sourceId: 'octo-org/hello-world', payload: body },
    });
  });

  it('answers ping without an event', () => {
    expect(mapGithubDelivery('ping', fixture('github', 'ping'))).toEqual({ ok: true, ping: true });
  });

  it('takes the organization, then the sender, when there is no repository', () => {
    expect(githubSourceId({ organization: { login: 'octo-org' }, sender: { login: 'octocat' } })).toBe('octo-org');
    expect(githubSourceId({ sender: { login: 'octocat' } })).toBe('octocat');
    expect(githubSourceId({ repository: { full_name: '' }, sender: { login: 'octocat' } })).toBe('octocat');
    expect(githubSourceId({})).toBeNull();
  });

  it.each([
    [undefined, {}, 'X-GitHub-Event'],
    ['', {}, 'X-GitHub-Event'],
    ['push; rm -rf /', {}, 'X-GitHub-Event'],
    ['x'.repeat(101), {}, 'X-GitHub-Event'],
    ['push', [1, 2], 'body'],
    ['push', 'a string', 'body'],
    ['push', null, 'body'],
  ])('refuses event %j with body %j naming %s', (header, body, field) => {
    const r = mapGithubDelivery(header, body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.field).toBe(field);
  });
});

describe('mapSlackRequest', () => {
  it('answers url_verification with its challenge', () => {
    expect(mapSlackRequest(fixture('slack', 'url_verification'))).toEqual({
      kind: 'challenge', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    });
  });

  it('turns a message event_callback into slack_message from its channel, deduplicated by event_id', () => {
    const body = fixture('slack', 'message');
    expect(mapSlackRequest(body)).toEqual({
      kind: 'event', deliveryId: 'Ev0PV52K21', event: { eventType: 'slack_message', sourceType: 'slack', sourceId: 'C2147483705', payload: body },
    });
  });

  it('reads a channel object and ignores envelope types it does not publish', () => {
    const created = mapSlackRequest({ type: 'event_callback', event_id: 'Ev1', event: { type: 'channel_created', channel: { id: 'C024BE91L', name: 'fun' } } });
    expect(created).toMatchObject({ kind: 'event', event: { eventType: 'slack_channel_created', sourceId: 'C024BE91L' } });
    expect(mapSlackRequest({ type: 'app_rate_limited', minute_rate_limited: 1518467820 })).toEqual({ kind: 'ignored', type: 'app_rate_limited' });
  });

  it.each([
    [[1], 'body'],
    [{}, 'type'],
    [{ type: 'url_verification' }, 'challenge'],
    [{ type: 'event_callback' }, 'event'],
    [{ type: 'event_callback', event: { channel: 'C1' } }, 'event.type'],
    [{ type: 'x'.repeat(65) }, 'type'],
    [{ type: 'Event Callback' }, 'type'],
  ])('refuses %j naming %s', (body, field) => {
    expect(mapSlackRequest(body)).toMatchObject({ kind: 'invalid', field });
  });
});

describe('parseWebhookBody', () => {
  it('parses JSON and GitHub form-encoded payload=', () => {
    const json = JSON.stringify(fixture('github', 'push'));
    expect(parseWebhookBody(Buffer.from(json), 'application/json')).toEqual({ ok: true, body: JSON.parse(json) });
    const form = `payload=${encodeURIComponent(json)}`;
    expect(parseWebhookBody(Buffer.from(form), 'application/x-www-form-urlencoded; charset=utf-8')).toEqual({ ok: true, body: JSON.parse(json) });
    expect(parseWebhookBody(Buffer.from(''), 'application/json')).toEqual({ ok: true, body: undefined });
  });

  it.each([
    [Buffer.from('{"a":'), 'application/json', 'body'],
    [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'application/json', 'body'],
    [Buffer.from('other=1'), 'application/x-www-form-urlencoded', 'payload'],
    [Buffer.from('payload=%7Bnope'), 'application/x-www-form-urlencoded', 'payload'],
    [Buffer.from('{}'), 'application/json; charset=klingon', 'Content-Type'],
  ])('refuses %s (%s) naming %s', (raw, type, field) => {
    expect(parseWebhookBody(raw, type)).toMatchObject({ ok: false, field });
  });

  it('reads a declared UTF-8 or ASCII charset and refuses any other as unsupported media', () => {
    expect(parseWebhookBody(Buffer.from('{"a":1}'), 'application/json; charset=UTF-8')).toEqual({ ok: true, body: { a: 1 } });
    expect(parseWebhookBody(Buffer.from('{"a":1}'), 'application/json; charset="us-ascii"')).toEqual({ ok: true, body: { a: 1 } });
    expect(parseWebhookBody(Buffer.from('{"a":1}'), 'application/json; charset=latin1')).toMatchObject({ ok: false, unsupportedMedia: true });
  });
});
