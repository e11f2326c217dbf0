/**
 * `npm run screenshots`: pictures of the web console for the README, saved as docs/console-*.png.
 *
 * Starts the real system (orchestrator and two workers from dist/, Redis, a temporary SQLite file,
 * the real Claude CLI against the tests' fake Messages API on loopback), gives it a small team's
 * worth of personas, runs, events, triggers and reviews, then signs in with headless Chromium at a
 * laptop's and a phone's size. Not a test: it writes into docs/. Needs `npm run build` first (the
 * npm script does it) and Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createE2eSystem, type E2eSystem } from '../test/helpers/e2e-system';
import { TEST_KEYS } from '../test/helpers/env';
import { launchChromium, signIn } from '../test/helpers/browser';
import { slow, text, toolUse } from '../test/helpers/fake-anthropic';
import { waitUntil } from '../test/helpers/processes';

const DOCS = path.resolve(__dirname, '..', 'docs');
const LAPTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

const say = (line: string) => process.stdout.write(`[screenshots] ${line}\n`);

async function seed(sys: E2eSystem) {
  const ok = async (method: string, p: string, body?: unknown) => {
    const res = await sys.api(method, p, body);
    if (res.status >= 300) throw new Error(`${method} ${p} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const reviewer = await ok('POST', '/api/personas', {
    name: 'Code Reviewer', description: 'Reviews merge requests for correctness, style and risky changes',
    systemPrompt: 'You are a senior engineer. Review the merge request in the input: point out bugs, risky changes and missing tests. Ask for a manual review before anything that rewrites history.',
    maxConcurrent: 2, timeoutMs: 600_000, allowedTools: ['Read', 'Grep', 'Bash(git *)', 'Bash(curl *)'], allowedHosts: ['gitlab.example.com'], maxBudgetUsd: 2.5,
  });
  const notes = await ok('POST', '/api/personas', {
    name: 'Release Notes Writer', description: 'Turns merged changes into release notes for the weekly digest',
    systemPrompt: 'Write concise release notes from the merged changes. Group them by area.',
  });
  const triage = await ok('POST', '/api/personas', {
    name: 'Incident Triage', description: 'Reads alerts, finds the likely cause and pages the right team',
    systemPrompt: 'Triage the alert: summarise, find the likely cause, and message the on-call engineer.', timeoutMs: 4000,
  });
  await ok('POST', '/api/personas', { name: 'Dependency Watcher', description: 'Checks for vulnerable dependencies every night', enabled: false });
  const cred = await ok('POST', '/api/credentials', { name: 'gitlab', serviceType: 'gitlab', data: { token: 'glpat-demo-not-a-real-token', url: 'https://gitlab.example.com' } });
  await ok('POST', `/api/personas/${reviewer.id}/credentials`, { credentialId: cred.id });
  await ok('POST', '/api/subscriptions', { personaId: reviewer.id, eventType: 'gitlab_merge_request', sourceFilter: 'platform/*' });
  await ok('POST', '/api/subscriptions', { personaId: notes.id, eventType: 'release_cut' });
  await ok('POST', '/api/subscriptions', { personaId: triage.id, eventType: 'alert_fired' });
  await ok('POST', '/api/triggers', { personaId: notes.id, triggerType: 'schedule', config: { cron: '0 9 * * 1', timezone: 'Europe/Berlin', event_type: 'release_cut' } });
  await ok('POST', '/api/triggers', { personaId: triage.id, triggerType: 'schedule', config: { cron: 'every 30m', event_type: 'alert_fired' } });
  await ok('POST', '/api/triggers', { personaId: reviewer.id, triggerType: 'manual', config: { event_type: 'gitlab_merge_request' } });
  await ok('POST', '/api/triggers', { personaId: notes.id, triggerType: 'chain', config: { source_persona_id: reviewer.id, status: 'completed', event_type: 'release_cut' } });
  return { reviewer, notes, triage };
}

function script(sys: E2eSystem) {
  const review = [
    '{"manual_review": {"title": "Force push to main in platform/api!412", "description": "The branch rewrites 3 commits already on main. Approve only if the team agreed to it.", "severity": "high", "suggested_actions": ["revert the force push", "ask the author"]}}',
    '{"agent_memory": {"title": "platform/api CI", "content": "The lint job retries once on network errors; a single red lint run is not a failure.", "category": "fact", "importance": 6, "tags": ["ci"]}}',
    'Review of platform/api!412: two issues found, one needs a decision (manual review requested).',
  ].join('\n');
  sys.fake.onPrompt('# Persona: Code Reviewer', [
    toolUse('Bash', { command: 'git log --oneline -3 && echo "diff: 4 files changed, 120 insertions(+), 38 deletions(-)"' }, { text: 'Looking at the merge request and its history first.' }),
    slow(40, text(review), 12),
  ]);
  sys.fake.onPrompt('# Persona: Release Notes Writer', [
    toolUse('Bash', { command: 'echo "3 merged changes since v1.41"' }, { text: 'Collecting what was merged since the last release.' }),
    slow(400, text('## Release notes v1.42\n\n### API\n- Webhook secrets per source, with signature checks.\n- Faster event dispatch under load.\n\n### Console\n- Live execution output.\n\n{"user_message": {"title": "Release notes v1.42 drafted", "content": "The draft is ready for the weekly digest.", "content_type": "success"}}'), 60),
  ]);
  sys.fake.onPrompt('# Persona: Incident Triage', [slow(500, text('Reading the alert and the last deploys…'), 30)]);
}

async function shoot(page: Page, name: string) {
  const file = path.join(DOCS, `console-${name}.png`);
  await page.waitForTimeout(300); // fonts and the last refresh settle
  await page.screenshot({ path: file, fullPage: false });
  say(`saved ${path.relative(process.cwd(), file)}`);
}

async function main() {
  fs.mkdirSync(DOCS, { recursive: true });
  const sys = await createE2eSystem('screenshots');
  const browser = await launchChromium();
  try {
    await sys.startOrchestrator();
    await sys.startWorker('build-box-1', { slots: 2 });
    await sys.startWorker('build-box-2', { slots: 2 });
    const { reviewer, notes } = await seed(sys);
    script(sys);

    say('running executions');
    const mr = await sys.api('POST', '/api/events', { eventType: 'gitlab_merge_request', sourceType: 'gitlab', sourceId: 'platform/api', payload: { iid: 412, title: 'Rework webhook retries' } });
    await waitUntil('the review run', async () => (await sys.api('GET', `/api/events/${mr.body.id}`)).body.executions?.[0]?.id, 20_000, sys.logs);
    const failing = await sys.api('POST', '/api/events', { eventType: 'alert_fired', sourceType: 'webhook', sourceId: 'grafana', payload: { alert: 'disk 95% on db-2' } });
    await sys.api('POST', '/api/events', { eventType: 'deploy_finished', sourceType: 'manual', sourceId: 'ci' });
    const reviewRun = (await sys.api('GET', `/api/events/${mr.body.id}`)).body.executions[0].id as string;
    await sys.final(reviewRun, 90_000);
    const failedRun = await waitUntil('the triage run', async () => (await sys.api('GET', `/api/events/${failing.body.id}`)).body.executions?.[0]?.id, 20_000, sys.logs);
    await sys.final(failedRun, 90_000);
    // The release notes run streams slowly: it is running while the pictures are taken.
    const live = (await sys.api('POST', '/api/execute', { personaId: notes.id, inputData: { since: 'v1.41' } })).body.executionId as string;
    await waitUntil('the live run to print', async () => (await sys.api('GET', `/api/executions/${live}`)).body.output?.length >= 3, 60_000, sys.logs);

    const laptop = await browser.newPage({ viewport: LAPTOP, deviceScaleFactor: 1, colorScheme: 'light' });
    await laptop.goto(`${sys.base}/`);
    await laptop.getByLabel('API key').waitFor();
    await shoot(laptop, 'signin');
    await signIn(laptop, sys.base, TEST_KEYS.TEAM_API_KEY);
    await laptop.getByRole('heading', { name: 'Overview' }).waitFor();
    await laptop.getByText('build-box-2').waitFor();
    await shoot(laptop, 'overview');

    await laptop.goto(`${sys.base}/#/executions/${live}`);
    await laptop.getByText('following live').waitFor();
    await laptop.getByText('Collecting what was merged').waitFor();
    await shoot(laptop, 'execution');

    await laptop.goto(`${sys.base}/#/executions`);
    await laptop.getByTestId('executions').waitFor();
    await shoot(laptop, 'executions');

    await laptop.goto(`${sys.base}/#/personas/${reviewer.id}`);
    await laptop.getByTestId('system-prompt').waitFor();
    await shoot(laptop, 'persona');

    await laptop.goto(`${sys.base}/#/events`);
    await laptop.getByTestId('events').waitFor();
    await shoot(laptop, 'events');

    await laptop.goto(`${sys.base}/#/inbox`);
    await laptop.getByTestId('review').first().waitFor();
    await shoot(laptop, 'reviews');

    await laptop.goto(`${sys.base}/#/triggers`);
    await laptop.getByTestId('triggers').waitFor();
    await shoot(laptop, 'triggers');

    const phone = await browser.newPage({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await signIn(phone, sys.base, TEST_KEYS.TEAM_API_KEY);
    await phone.getByRole('heading', { name: 'Overview' }).waitFor();
    await phone.goto(`${sys.base}/#/executions/${live}`);
    await phone.getByTestId('output').waitFor();
    await shoot(phone, 'phone');
  } finally {
    await browser.close();
    await sys.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`[screenshots] failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
