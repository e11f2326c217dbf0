/// <reference lib="dom" />
/**
 * The web console in a real browser: Debian's headless Chromium (playwright-core) against the real
 * system — orchestrator and worker processes from dist/, Redis, the record store, and the real
 * Claude CLI talking to the fake Messages API (a slow stream makes "while it runs" observable).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createE2eSystem, type E2eSystem } from '../helpers/e2e-system';
import { TEST_KEYS } from '../helpers/env';
import { launchChromium, pageProblems, signIn } from '../helpers/browser';
import { slow, text, toolUse, userText } from '../helpers/fake-anthropic';
import { waitUntil } from '../helpers/processes';

jest.setTimeout(120_000);

const UI_MS = 15_000;

describe('web console (headless Chromium, real orchestrator + worker + CLI)', () => {
  let sys: E2eSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: () => string[];
  /** Every URL the browser asked for: a key must never be in one. */
  const urls: string[] = [];

  const newPage = async (viewport = { width: 1280, height: 860 }) => {
    context = await browser.newContext({ viewport });
    page = await context.newPage();
    page.setDefaultTimeout(UI_MS);
    problems = pageProblems(page);
    page.on('request', (r) => urls.push(r.url()));
    return page;
  };
  const nav = () => page.getByRole('navigation', { name: 'Main' });
  const makeKey = async (role: string) => {
    const res = await sys.api('POST', '/api/keys', { name: `console ${role} ${Date.now()}`, role });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };

  beforeAll(async () => {
    sys = await createE2eSystem('console');
    [browser] = await Promise.all([launchChromium(), sys.startOrchestrator()]);
    await sys.startWorker('console-w1', { slots: 2 });
  });
  afterEach(async () => {
    // Uncaught exceptions in the page are bugs; failed loads (a refused key's 401) are not.
    expect((problems?.() ?? []).filter((p) => p.startsWith('page error'))).toEqual([]);
    await context?.close();
    sys.fake.reset();
  });
  afterAll(async () => {
    await browser?.close();
    await sys?.stop();
    const keys = [TEST_KEYS.TEAM_API_KEY];
    expect(urls.filter((u) => keys.some((k) => u.includes(k)))).toEqual([]);
  });

  it('a wrong key shows why it was refused and keeps nothing', async () => {
    await newPage();
    await signIn(page, sys.base, 'pck_this-key-does-not-exist-0123456789abcdef');
    await page.getByText('That key was not accepted').waitFor();
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
    // A webhook key is a real key, but the server refuses it the console (403, naming the role).
    await signIn(page, sys.base, await makeKey('webhook'));
    await page.getByText("this key has the 'webhook' role").waitFor();
    await expect(page.getByRole('heading', { name: 'Overview' }).count()).resolves.toBe(0);
  });

  it('signs in: the overview shows the worker with its slots and isolation; the key stays in this tab only', async () => {
    await newPage();
    await signIn(page, sys.base, TEST_KEYS.TEAM_API_KEY);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await expect(page.getByTestId('role').textContent()).resolves.toBe('admin');
    const worker = page.getByRole('row', { name: /console-w1/ });
    await worker.waitFor();
    await expect(worker.textContent()).resolves.toMatch(/0 \/ 2.*(bwrap|uid|none)/);
    const stored = await page.evaluate(() => ({ session: Object.values(sessionStorage), local: localStorage.length, cookie: document.cookie }));
    expect(stored).toEqual({ session: [TEST_KEYS.TEAM_API_KEY], local: 0, cookie: '' });
    expect(page.url()).not.toContain(TEST_KEYS.TEAM_API_KEY);
    // Reloading keeps the session; signing out forgets the key.
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('creates a persona, edits it, disables and enables it, runs it and follows its output live while it runs', async () => {
    sys.fake.onPrompt('console-live-marker', [
      toolUse('Bash', { command: 'echo console step one' }, { text: 'Starting the console check.' }),
      slow(300, text('Console check finished: all good.'), 20),
    ]);
    await newPage();
    await signIn(page, sys.base, TEST_KEYS.TEAM_API_KEY);
    await nav().getByRole('link', { name: 'Personas' }).click();
    await page.getByRole('link', { name: 'New persona' }).first().click();
    await page.getByLabel('Name').fill('Console Checker');
    await page.getByLabel('Description').fill('Checks the console end to end');
    await page.getByLabel('System prompt').fill('You check the console. console-live-marker');
    await page.getByLabel('Runs at once').fill('2');
    await page.getByRole('button', { name: 'Create persona' }).click();
    await page.getByRole('heading', { name: /Console Checker/ }).waitFor();
    await expect(page.getByTestId('system-prompt').textContent()).resolves.toContain('console-live-marker');
    const personas = (await sys.api('GET', '/api/personas')).body as Array<{ id: string; name: string; maxConcurrent: number; description: string }>;
    const persona = personas.find((p) => p.name === 'Console Checker')!;
    expect(persona).toMatchObject({ maxConcurrent: 2, description: 'Checks the console end to end' });

    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Description').fill('Checks the console, edited');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Checks the console, edited').waitFor();

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    await expect(page.getByRole('button', { name: 'Run' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();

    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByLabel('Input data (optional)').fill('{"check": "live"}');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/#\/executions\/[0-9a-f-]{36}$/);
    const executionId = page.url().split('/').pop()!;

    // The first turn's text is on the page while the slow second turn still streams.
    const output = page.getByTestId('output');
    await output.getByText('Starting the console check.').waitFor({ timeout: 60_000 });
    const meanwhile = (await sys.api('GET', `/api/executions/${executionId}`)).body;
    expect(meanwhile.status).toBe('running');
    await expect(page.getByTestId('live').textContent()).resolves.toBe('following live');
    await expect(page.locator('header [data-status]').first().getAttribute('data-status')).resolves.toBe('running');
    await expect(output.textContent()).resolves.not.toContain('Console check finished');

    await output.getByText('Console check finished: all good.').first().waitFor({ timeout: 60_000 });
    await page.locator('header [data-status="completed"]').waitFor();
    const done = await sys.final(executionId);
    expect(done).toMatchObject({ status: 'completed', personaId: persona.id, inputData: { check: 'live' } });
    await expect(page.getByTestId('cause').textContent()).resolves.toContain('started directly');
  });

  it('cancels a running execution', async () => {
    sys.fake.onPrompt('console-cancel-marker', [slow(250)]);
    const submitted = await sys.api('POST', '/api/execute', { prompt: 'console-cancel-marker: take your time' });
    const id = submitted.body.executionId as string;
    await newPage();
    await signIn(page, sys.base, TEST_KEYS.TEAM_API_KEY);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.goto(`${sys.base}/#/executions/${id}`);
    await waitUntil('the slow stream to start', () => sys.fake.mainRequests().some((r) => userText(r).includes('console-cancel-marker')), 30_000, sys.logs);
    await page.locator('header [data-status="running"]').first().waitFor();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('button', { name: 'Cancel execution' }).click();
    await page.locator('header [data-status="cancelled"]').first().waitFor();
    expect((await sys.api('GET', `/api/executions/${id}`)).body.status).toBe('cancelled');
    await expect(page.getByRole('button', { name: 'Cancel', exact: true }).count()).resolves.toBe(0);
  });

  it('approves a review a persona asked for', async () => {
    const persona = (await sys.api('POST', '/api/personas', { name: 'Console Reviewer', systemPrompt: 'console-review-marker' })).body;
    sys.fake.onPrompt('console-review-marker', [text([
      'Found a risky change.',
      '{"manual_review": {"title": "Force push on main (console)", "description": "Rewrites two commits.", "severity": "high", "suggested_actions": ["revert"]}}',
    ].join('\n'))]);
    const run = await sys.api('POST', '/api/execute', { personaId: persona.id });
    await sys.final(run.body.executionId);
    await newPage();
    await signIn(page, sys.base, TEST_KEYS.TEAM_API_KEY);
    await nav().getByRole('link', { name: 'Reviews & messages' }).click();
    const card = page.getByTestId('review').filter({ hasText: 'Force push on main (console)' });
    await card.waitFor();
    await card.getByLabel('Note (optional)').fill('agreed with the team');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Review approved').waitFor();
    await card.waitFor({ state: 'detached' });
    const [review] = (await sys.api('GET', `/api/personas/${persona.id}/reviews`)).body;
    expect(review).toMatchObject({
      status: 'resolved', resolution: { decision: 'approved', note: 'agreed with the team', by: 'TEAM_API_KEY' },
    });
  });

  it('shows a reader key no write actions and says what the inbox needs', async () => {
    const persona = (await sys.api('POST', '/api/personas', { name: 'Console Read Only' })).body;
    await newPage();
    await signIn(page, sys.base, await makeKey('reader'));
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.goto(`${sys.base}/#/personas/${persona.id}`);
    await page.getByRole('heading', { name: /Console Read Only/ }).waitFor();
    for (const name of ['Run', 'Edit', 'Disable']) await expect(page.getByRole('button', { name }).count()).resolves.toBe(0);
    await page.goto(`${sys.base}/#/events`);
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await expect(page.getByRole('button', { name: 'Publish test event' }).count()).resolves.toBe(0);
    await page.goto(`${sys.base}/#/inbox`);
    await page.getByText('You are signed in with a reader key').waitFor();
  });

  it('signs out, saying why, when its key is revoked while it is signed in', async () => {
    const created = await sys.api('POST', '/api/keys', { name: `console revoked ${Date.now()}`, role: 'runner' });
    await newPage();
    await signIn(page, sys.base, created.body.key);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect((await sys.api('DELETE', `/api/keys/${created.body.id}`)).status).toBe(204);
    // The overview refreshes every 5 s; the next answer is a 401.
    await page.getByText('Your key is no longer accepted').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('is usable on a phone: a menu instead of the sidebar, and nothing wider than the screen', async () => {
    await newPage({ width: 390, height: 844 });
    await signIn(page, sys.base, TEST_KEYS.TEAM_API_KEY);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await expect(nav().isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Open menu' }).click();
    await nav().getByRole('link', { name: 'Executions' }).click();
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
    await page.waitForLoadState('networkidle');
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    for (const [hash, heading] of [['', 'Overview'], ['personas', 'Personas'], ['personas/new', 'New persona'], ['events', 'Events'], ['triggers', 'Triggers'], ['inbox', 'Reviews & messages']]) {
      await page.goto(`${sys.base}/#/${hash}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.waitForLoadState('networkidle');
      expect(`${hash}: ${await overflow()}`).toBe(`${hash}: 0`);
    }
  });
});
