import fs from 'node:fs';
import path from 'node:path';
import {
  hubSignature, slackSignature, tokenEquals, verifyHubSignature, verifySlackSignature, verifyToken,
} from '../../server/domain/webhook-signatures';

const raw = (dir: string, name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', dir, `${name}.json`));

describe('X-Hub-Signature-256 (GitHub, generic webhooks)', () => {
  // The example from GitHub's "Validating webhook deliveries" documentation.
  const DOCS_SECRET = "It's a Secret to Everybody";
  const DOCS_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it("matches GitHub's documented example", () => {
    expect(hubSignature(DOCS_SECRET, 'Hello, World!')).toBe(DOCS_SIGNATURE);
    const r = verifyHubSignature(Buffer.from('Hello, World!'), DOCS_SIGNATURE, [{ secret: 'other-secret' }, { secret: DOCS_SECRET, id: 'b' }]);
    expect(r).toEqual({ ok: true, match: { secret: DOCS_SECRET, id: 'b' } });
  });

  it.each(['push', 'pull_request', 'ping'])('verifies a real %s payload byte for byte', (name) => {
    const body = raw('github', name);
    const sig = hubSignature('gh-test-secret-0123456789', body);
    expect(verifyHubSignature(body, sig, [{ secret: 'gh-test-secret-0123456789' }]).ok).toBe(true);
    // Re-serialising the JSON changes the bytes: verification must be over the raw body.
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))));
    expect(verifyHubSignature(reserialised, sig, [{ secret: 'gh-test-secret-0123456789' }])).toEqual({ ok: false, reason: 'mismatch' });
  });

  it.each([
    [undefined, 'missing_signature'],
    ['', 'missing_signature'],
    [['sha256=ab'], 'missing_signature'],
    ['sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'malformed_signature'],
    ['sha256=', 'malformed_signature'],
    ['sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'malformed_signature'],
    ['sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1', 'malformed_signature'],
    ['757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'malformed_signature'],
    ['sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'mismatch'],
  ])('refuses %j as %s', (header, reason) => {
    expect(verifyHubSignature(Buffer.from('Hello, World!'), header, [{ secret: DOCS_SECRET }])).toEqual({ ok: false, reason });
  });

  it('refuses everything when there is no secret', () => {
    expect(verifyHubSignature(Buffer.from('Hello, World!'), DOCS_SIGNATURE, [])).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe("Slack's v0 signature", () => {
  // The example from Slack's "Verifying requests from Slack" documentation.
  const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
  const TIMESTAMP = '1531420618';
  const BODY = Buffer.from(
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  );
  const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const now = Number(TIMESTAMP) + 10;

  it("matches Slack's documented example", () => {
    expect(slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
    expect(verifySlackSignature({ body: BODY, timestamp: TIMESTAMP, signature: SIGNATURE, nowSeconds: now }, [{ secret: SECRET }]).ok).toBe(true);
  });

  it.each(['url_verification', 'message'])('verifies a real %s request', (name) => {
    const body = raw('slack', name);
    const signature = slackSignature('slack-signing-secret-0123', now, body);
    expect(verifySlackSignature({ body, timestamp: String(now), signature, nowSeconds: now }, [{ secret: 'slack-signing-secret-0123' }]).ok).toBe(true);
  });

  it('refuses a timestamp more than five minutes away, whatever the signature', () => {
    const at = (nowSeconds: number) => verifySlackSignature({ body: BODY, timestamp: TIMESTAMP, signature: SIGNATURE, nowSeconds }, [{ secret: SECRET }]);
    expect(at(Number(TIMESTAMP) + 300).ok).toBe(true);
    expect(at(Number(TIMESTAMP) + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(Number(TIMESTAMP) - 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it.each([
    [{ signature: undefined }, 'missing_signature'],
    [{ timestamp: undefined }, 'missing_timestamp'],
    [{ timestamp: '1531420618.5' }, 'malformed_signature'],
    [{ signature: 'v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' }, 'malformed_signature'],
    [{ signature: 'a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' }, 'malformed_signature'],
    [{ timestamp: String(Number(TIMESTAMP) + 1) }, 'mismatch'],
    [{ body: Buffer.concat([BODY, Buffer.from('&x=1')]) }, 'mismatch'],
  ])('refuses %j as %s', (change, reason) => {
    const req = { body: BODY, timestamp: TIMESTAMP, signature: SIGNATURE, nowSeconds: now, ...change };
    expect(verifySlackSignature(req, [{ secret: SECRET }])).toEqual({ ok: false, reason });
  });
});

describe('shared-secret tokens (X-Gitlab-Token)', () => {
  it('matches any candidate exactly', () => {
    const candidates = [{ secret: 'first-gitlab-secret', id: 1 }, { secret: 'second-gitlab-secret', id: 2 }];
    expect(verifyToken('second-gitlab-secret', candidates)).toEqual({ ok: true, match: candidates[1] });
    expect(verifyToken('second-gitlab-secre', candidates)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyToken('second-gitlab-secret ', candidates)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyToken(undefined, candidates)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyToken('', candidates)).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('tokenEquals compares whole strings of any length', () => {
    expect(tokenEquals('abc', 'abc')).toBe(true);
    expect(tokenEquals('abc', 'abcd')).toBe(false);
    expect(tokenEquals('', '')).toBe(true);
  });
});
