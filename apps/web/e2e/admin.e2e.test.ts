import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT, REPO_ROOT, SCREENSHOTS, TEAM_README_SHOTS, WEB_ROOT, assertPrerequisites, eventually, launchBrowser, makeTempDir, startReferenceAgent, startServer, startSmtpSink, startWebhookReceiver } from './harness.js';

/**
 * The whole workspace lifecycle, in Debian's Chromium against the real built server and a real
 * SMTP sink. Steps share one browser and run in order; each names what a person would see.
 */
const EMAIL = 'owner@acme-e2e.test';
const WORKSPACE = 'acme-e2e';
const KEY_SHAPE = /^pc_live_[0-9A-Za-z]{32}$/;
const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let server: Awaited<ReturnType<typeof startServer>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let context: BrowserContext;
let page: Page;
const dirs: { remove(): void }[] = [];
/** Script errors and CSP violations seen in the browser during the whole run. */
const browserProblems: string[] = [];

/** State carried from step to step. */
const s = {
  link: '',
  key: '',
  keyId: '',
  rolledFromKey: '',
  rolledFromId: '',
  rolledKey: '',
  webhookSecret: '',
  previousWebhookSecret: '',
};

/** The screenshots this run took, by name. */
const shots = new Set<string>();
/** A screenshot for the README; toasts from earlier steps are dismissed so each shows its own page. */
async function shot(name: string, fullPage = true) {
  shots.add(name);
  for (const close of await page.getByRole('button', { name: 'Dismiss notification' }).all()) await close.click();
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage, animations: 'disabled' });
}
const url = (path: string) => `${server.url}${path}`;
const pathname = () => new URL(page.url()).pathname;
const callAgents = (key: string) => fetch(url('/v1/agents'), { headers: { 'x-api-key': key } });
const registerAgent = (key: string, name: string) =>
  fetch(url('/v1/agents'), { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
/** At 390 px nothing may stick out sideways. */
async function fitsPhone() {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
}
/** The page at 1280 px (light, dark) and at 390 px (light), for the README. */
async function shotsOfPage(name: string) {
  await shot(name);
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(`${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsPhone();
  await shot(`${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
}
/** A chart's canvas takes room and has been painted (not just laid out). */
async function expectChartDrawn(testId: string) {
  const canvas = page.getByTestId(testId).locator('canvas');
  await canvas.waitFor();
  const box = (await canvas.boundingBox())!;
  expect(box.width).toBeGreaterThan(200);
  expect(box.height).toBeGreaterThan(60);
  await eventually(async () => {
    const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(500);
  });
}
/** Column sums of a usage table, by the `data-outcome` of its cells. */
async function sumOfColumns(table: Locator): Promise<Record<string, number>> {
  return table.locator('td[data-outcome]').evaluateAll((tds) => {
    const sums: Record<string, number> = {};
    for (const td of tds) sums[td.getAttribute('data-outcome')!] = (sums[td.getAttribute('data-outcome')!] ?? 0) + Number(td.textContent!.replace(/,/g, ''));
    return sums;
  });
}
async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { code?: string }).code ?? '';
}
/** Creates a key from the list page with "Expires: 7 days"; resolves with the key it showed once. */
async function createKeyExpiringIn7Days(name: string): Promise<string> {
  await page.getByRole('button', { name: 'Create API key' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create an API key' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Expires').selectOption('7');
  await dialog.getByRole('button', { name: 'Create key' }).click();
  const key = await page.getByTestId('new-api-key').inputValue();
  await page.getByRole('button', { name: /I’ve copied it/ }).click();
  return key;
}
/** Waits for a client-side route (the SPA changes the URL without a load event). */
async function waitForPath(path: string) {
  await page.waitForFunction((p) => window.location.pathname === p, path);
}

beforeAll(async () => {
  assertPrerequisites();
  for (const dir of [OUTPUT, SCREENSHOTS]) mkdirSync(dir, { recursive: true });
  const data = makeTempDir('pc-e2e-data-');
  const profile = makeTempDir('pc-e2e-profile-');
  dirs.push(data, profile);
  sink = await startSmtpSink();
  receiver = await startWebhookReceiver();
  server = await startServer(sink.port, data.path);
  context = await launchBrowser(profile.path);
  context.setDefaultTimeout(10_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => browserProblems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) browserProblems.push(`CSP: ${m.text()}`);
  });
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  await receiver?.close();
  await sink?.close();
  for (const d of dirs) d.remove();
});

describe('admin SPA, end to end', () => {
  it('a signed-out load fails no request and logs nothing to the console; REST GET /v1/auth/me keeps its 401', async () => {
    const failed: string[] = [];
    const logged: string[] = [];
    const onResponse = (r: { status(): number; url(): string }) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    };
    const onConsole = (m: { type(): string; text(): string }) => {
      if (m.type() === 'error' || m.type() === 'warning') logged.push(m.text());
    };
    page.on('response', onResponse);
    page.on('console', onConsole);
    try {
      for (const [path, landing] of [['/keys', '/sign-in'], ['/audit-log', '/sign-in'], ['/sign-in', '/sign-in'], ['/sign-up', '/sign-up']] as const) {
        await page.goto(url(path));
        await waitForPath(landing);
        await page.waitForLoadState('networkidle');
      }
    } finally {
      page.off('response', onResponse);
      page.off('console', onConsole);
    }
    expect({ failed, logged }).toEqual({ failed: [], logged: [] });
    const me = await fetch(url('/v1/auth/me'));
    expect({ status: me.status, code: await codeOf(me) }).toEqual({ status: 401, code: 'authentication_required' });
  });

  it('sends a visitor without a session to sign-in', async () => {
    await page.goto(url('/keys'));
    await waitForPath('/sign-in');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('sign-in');
  });

  it('signs up and shows a "check your e-mail" screen that reveals nothing', async () => {
    await page.getByRole('link', { name: 'Create a workspace' }).click();
    await waitForPath('/sign-up');
    // The browser checks the contract's rules before any request is made.
    await page.getByLabel('Work e-mail').fill(EMAIL);
    // The rule is said once: as the hint, then as the error in its place.
    const rule = page.getByText('lower-case letters, digits and hyphens', { exact: false });
    expect(await rule.count()).toBe(1);
    expect(await rule.getAttribute('class')).toBe('field-hint');
    await page.getByLabel('Workspace name').fill('Admin');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.locator('input[name="workspaceName"][aria-invalid="true"]').waitFor();
    await page.locator('.field-error', { hasText: 'lower-case letters, digits and hyphens' }).waitFor();
    expect(await rule.count()).toBe(1);
    const described = await page.getByLabel('Workspace name').getAttribute('aria-describedby');
    expect(await page.locator(`[id="${described}"]`).getAttribute('class')).toBe('field-error');
    await page.getByLabel('Workspace name').fill(WORKSPACE);
    await shot('sign-up');
    await page.getByRole('button', { name: 'Create workspace' }).click();

    const check = page.getByTestId('check-email');
    await check.waitFor();
    const text = await check.innerText();
    expect(text).toContain('Check your e-mail');
    expect(text).toContain(`If ${EMAIL} can sign up`);
    // SMTP is configured here, so the "written to the server log" notice must not show.
    expect(await page.getByTestId('mail-not-configured').count()).toBe(0);
    await shot('check-email');
  });

  it('mails a link to the SPA’s verify page', async () => {
    const mail = await sink.waitForMail(EMAIL);
    expect(mail.link).not.toBeNull();
    s.link = mail.link!;
    expect(s.link.startsWith(`${server.url}/auth/verify?token=`)).toBe(true);
  });

  it('opens the link as an interstitial that does not verify until "Sign in" is clicked', async () => {
    const verifyCalls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('auth.verify')) verifyCalls.push(r.url());
    });
    await page.goto(s.link);
    const button = page.getByRole('button', { name: 'Create and sign in' });
    await button.waitFor();
    await page.waitForLoadState('networkidle');
    expect(verifyCalls).toEqual([]);
    // It names what the link opens before anyone clicks (an attacker's own link would say so).
    expect(await page.getByTestId('verify-target').innerText()).toBe(`Create workspace ${WORKSPACE} as ${EMAIL[0]}•••@${EMAIL.split('@')[1]}?`);
    await shot('verify');

    await button.click();
    await waitForPath('/keys');
    expect(verifyCalls).toHaveLength(1);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByText('No active API keys').waitFor();
    await page.getByTestId('account-menu').getByText(WORKSPACE).waitFor();
  });

  it('shows the workspace and e-mail in the account menu', async () => {
    await page.getByTestId('account-menu').click();
    expect(await page.getByTestId('account-email').innerText()).toBe(EMAIL);
    expect(await page.getByTestId('account-workspace').innerText()).toBe(WORKSPACE);
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('account-email').count()).toBe(0);
  });

  it('links the API reference from the account menu: Swagger UI from the server, under its own CSP, with no violation', async () => {
    await page.getByTestId('account-menu').click();
    const link = page.getByTestId('api-reference-link');
    expect(await link.getAttribute('href')).toBe('/docs');
    await page.keyboard.press('Escape');

    const docs = await context.newPage();
    const problems: string[] = [];
    const offSite: string[] = [];
    docs.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    docs.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    docs.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) offSite.push(r.url());
    });
    try {
      const res = await docs.goto(url('/docs'));
      expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self';/);
      await docs.getByText('Private Connect API').first().waitFor();
      // Rendered from /v1/openapi.json: the tags and an operation of each.
      await docs.getByRole('heading', { name: /API keys/ }).first().waitFor();
      await docs.getByText('/api-keys/{id}/roll').first().waitFor();
      await docs.getByText('/agents').first().waitFor();
      await docs.waitForLoadState('networkidle');
      await docs.screenshot({ path: join(OUTPUT, 'api-reference.png'), animations: 'disabled' });
      expect(problems).toEqual([]);
      expect(offSite).toEqual([]);
    } finally {
      await docs.close();
    }
  });

  it('creates a key and shows it exactly once, with a copy button', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByRole('button', { name: 'Create API key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.waitFor();
    // Focus moved into the dialog, on the name field.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('name');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByText('Name is required.').waitFor();
    await dialog.getByLabel('Name').fill('ci-deploy');
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const reveal = page.getByTestId('key-reveal');
    await reveal.waitFor();
    s.key = await page.getByTestId('new-api-key').inputValue();
    expect(s.key).toMatch(KEY_SHAPE);
    expect(await reveal.innerText()).toContain('It will not be shown again.');
    await shot('key-created', false);

    await reveal.getByRole('button', { name: 'Copy key' }).click();
    await reveal.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(s.key);

    await page.getByRole('button', { name: /I’ve copied it/ }).click();
    await page.getByTestId('key-reveal').waitFor({ state: 'detached' });
    const row = page.getByTestId('api-key-row').filter({ hasText: 'ci-deploy' });
    await row.waitFor();
    expect(await row.innerText()).toContain(s.key.slice(0, 12));
    // The full key is nowhere on the page any more.
    expect(await page.content()).not.toContain(s.key);
  });

  it('the key works on GET /v1/agents', async () => {
    const res = await callAgents(s.key);
    expect(res.status).toBe(200);
  });

  it('restricts the key to 10.0.0.0/8, so a request from 127.0.0.1 is refused with 403', async () => {
    await page.getByTestId('api-key-row').filter({ hasText: 'ci-deploy' }).getByRole('link', { name: 'ci-deploy' }).click();
    await page.getByTestId('key-name').filter({ hasText: 'ci-deploy' }).waitFor();
    s.keyId = pathname().split('/').pop()!;
    await page.getByTestId('stored-ranges').getByText('Any IP address can use this key.').waitFor();

    await page.getByRole('button', { name: 'Add range' }).click();
    const input = page.getByLabel('IP range 1');
    await input.fill('10.0.0.300/8');
    const error = page.getByTestId('ip-range-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/^Entry 1: /);
    expect(await page.getByRole('button', { name: 'Save ranges' }).isDisabled()).toBe(true);

    await input.fill('10.1.2.3/8');
    await page.getByText('Will be stored as 10.0.0.0/8').waitFor();
    const saved = page.waitForResponse((r) => r.url().includes('apiKeys.updateIpRestrictions'));
    await page.getByRole('button', { name: 'Save ranges' }).click();
    expect((await saved).status()).toBe(200);
    // The server's normalised form replaces what was typed.
    await page.getByTestId('stored-ranges').getByText('10.0.0.0/8').waitFor();
    expect(await page.getByLabel('IP range 1').inputValue()).toBe('10.0.0.0/8');
    await shot('key-detail');

    const res = await callAgents(s.key);
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe('ip_not_allowed');
    // Two more, for the usage chart: 3 refused by IP in all.
    for (let i = 0; i < 2; i++) expect((await callAgents(s.key)).status).toBe(403);
  });

  it('clearing the ranges allows every address again', async () => {
    await page.getByRole('button', { name: 'Remove range 1' }).click();
    await page.getByText('Saving an empty list removes the restriction').waitFor();
    await page.getByRole('button', { name: 'Save ranges' }).click();
    await page.getByTestId('stored-ranges').getByText('Any IP address can use this key.').waitFor();
    expect((await callAgents(s.key)).status).toBe(200);
  });

  it('shows when and from which IP the key was last used', async () => {
    await eventually(async () => {
      await page.reload();
      expect(await page.getByTestId('key-last-ip').innerText()).toBe('127.0.0.1');
    });
    expect(await page.getByTestId('key-last-used').innerText()).not.toBe('Never');
    expect(await page.getByTestId('key-last-used').locator('time').getAttribute('title')).toMatch(/\d{4}/);
  });

  it('charts the key’s requests by outcome, with a table of the exact numbers', async () => {
    // 2 OK so far (one before the restriction, one after it was cleared) and 3 refused by IP; 3 more OK.
    for (let i = 0; i < 3; i++) expect((await callAgents(s.key)).status).toBe(200);
    const usage = page.getByTestId('key-usage');
    // Counts are written within a second; the server adds what is still pending to its answer.
    await eventually(async () => {
      await page.reload();
      expect(await usage.getByTestId('key-usage-total').innerText()).toBe('8 requests in the last 24 hours');
    }, 3000);
    expect(await usage.getByTestId('usage-legend').getByRole('listitem').allTextContents()).toEqual(['OK 5', 'IP not allowed 3', 'Rate limited 0', 'Expired 0']);
    await expectChartDrawn('key-usage-chart');
    // The table is there for screen readers while it is hidden; sums over the hours, so an hour turning over mid-test is fine.
    const table = usage.getByTestId('key-usage-table');
    expect(await table.getAttribute('class')).toBe('visually-hidden');
    expect(await sumOfColumns(table)).toEqual({ ok: 5, ipNotAllowed: 3, rateLimited: 0, expired: 0, total: 8 });
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(24);
    await shotsOfPage('key-usage');

    await usage.getByLabel('Last 30 days').check();
    await usage.getByTestId('key-usage-total').getByText('8 requests in the last 30 days').waitFor();
    expect(await sumOfColumns(table)).toEqual({ ok: 5, ipNotAllowed: 3, rateLimited: 0, expired: 0, total: 8 });
    await usage.getByRole('button', { name: 'Show as a table' }).click();
    await table.locator('tbody tr').first().waitFor({ state: 'visible' });
    await expectChartDrawn('key-usage-chart');
    await shot('key-usage-days');
  });

  it('lists the key on the workspace usage page with its total', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await waitForPath('/usage');
    const row = page.locator(`[data-testid="usage-row"][data-key-id="${s.keyId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-outcome="total"]').innerText()).toBe('8');
    expect(await row.locator('[data-outcome="ok"]').innerText()).toBe('5');
    expect(await row.locator('[data-outcome="ipNotAllowed"]').innerText()).toBe('3');
    expect(await page.getByTestId('usage-total').innerText()).toBe('8 requests with 1 key in the last 30 days');
    await expectChartDrawn('usage-chart');
    await page.getByLabel('7 days').check();
    await page.getByTestId('usage-total').getByText('in the last 7 days', { exact: false }).waitFor();
    expect(await row.locator('[data-outcome="total"]').innerText()).toBe('8');
    await row.getByRole('link', { name: 'ci-deploy' }).click();
    await waitForPath(`/keys/${s.keyId}`);
    await page.getByTestId('key-usage-total').waitFor();
  });

  it('revokes the key after a confirmation that names it; the key then fails with 401', async () => {
    await page.getByRole('button', { name: 'Revoke key' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Revoke “ci-deploy”?' });
    await dialog.waitFor();
    // Escape closes without revoking; focus returns to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Revoke key');
    expect((await callAgents(s.key)).status).toBe(200);

    await page.getByRole('button', { name: 'Revoke key' }).click();
    await shot('revoke-confirm', false);
    await dialog.getByRole('button', { name: 'Revoke key “ci-deploy”' }).click();
    await page.getByTestId('key-revoked-notice').waitFor();
    const res = await callAgents(s.key);
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('invalid_api_key');
  });

  it('lists revoked keys only when asked', async () => {
    await page.getByRole('link', { name: '← API keys' }).click();
    await page.getByText('No active API keys').waitFor();
    await page.getByLabel('Show revoked and expired keys').check();
    const row = page.getByTestId('api-key-row').filter({ hasText: 'ci-deploy' });
    await row.getByText('Revoked').waitFor();
    await page.getByLabel('Show revoked and expired keys').uncheck();
  });

  it('warns about a key expiring within 7 days and rolls it with a grace period', async () => {
    s.rolledFromKey = await createKeyExpiringIn7Days('edge-gateway');
    expect(s.rolledFromKey).toMatch(KEY_SHAPE);

    const warning = page.getByTestId('expiring-warning');
    await warning.waitFor();
    expect(await warning.innerText()).toContain('edge-gateway');
    expect((await callAgents(s.rolledFromKey)).status).toBe(200);

    await warning.getByRole('link', { name: 'edge-gateway' }).click();
    await page.getByTestId('key-expiring-notice').waitFor();
    await page.getByRole('button', { name: 'Roll key' }).click();
    const roll = page.getByRole('dialog', { name: 'Roll “edge-gateway”' });
    await roll.getByLabel('Keep the old key working for').selectOption({ label: '1 hour' });
    await shot('roll-dialog', false);
    await roll.getByRole('button', { name: 'Roll key' }).click();

    const result = page.getByRole('dialog', { name: '“edge-gateway” rolled' });
    await result.waitFor();
    s.rolledKey = await result.getByTestId('new-api-key').inputValue();
    expect(s.rolledKey).toMatch(KEY_SHAPE);
    expect(s.rolledKey).not.toBe(s.rolledFromKey);
    const remaining = await result.getByTestId('old-key-remaining').innerText();
    expect(remaining).toContain('keeps working for 1 hour');
    await shot('roll-result', false);

    // Both keys work during the grace period.
    expect((await callAgents(s.rolledKey)).status).toBe(200);
    expect((await callAgents(s.rolledFromKey)).status).toBe(200);

    await result.getByRole('button', { name: /I’ve copied it/ }).click();
    await page.getByTestId('key-rolled-notice').waitFor();
    expect(await page.getByTestId('key-rolled-notice').innerText()).toContain('1 hour');
  });

  it('says on the old key’s page that it is still in use, and flags it in the key list', async () => {
    s.rolledFromId = pathname().split('/').pop()!;
    // One request before the roll, one in the grace period; and one more now.
    expect((await callAgents(s.rolledFromKey)).status).toBe(200);
    const notice = page.getByTestId('key-still-in-use');
    await eventually(async () => {
      await page.reload();
      expect(await notice.innerText()).toMatch(/^Still in use: 3 requests since \d{1,2}:\d{2} [AP]M, last at \d{1,2}:\d{2}:\d{2} [AP]M from 127\.0\.0\.1\. Move that caller to the new key/);
    }, 3000);
    expect(await notice.getByRole('link', { name: 'the new key' }).getAttribute('href')).toMatch(/^\/keys\/key_/);
    expect(await page.getByTestId('key-gone-quiet').count()).toBe(0);
    await shot('key-usage-rolled');

    await page.getByRole('link', { name: '← API keys' }).click();
    const old = page.getByTestId('api-key-row').filter({ has: page.getByTestId('rolled-key-still-called') });
    await old.waitFor();
    expect(await old.getByRole('link').getAttribute('href')).toBe(`/keys/${s.rolledFromId}`);
    expect(await old.getByTestId('rolled-key-still-called').getAttribute('title')).toMatch(/^Used just now although it was rolled/);
    await page.getByTestId('api-key-row').filter({ hasText: 'edge-gateway' }).first().waitFor();
    expect(await page.getByTestId('rolled-key-still-called').count()).toBe(1);
    // It ends with its grace period, as its badge says; it is not a key about to expire.
    expect(await old.innerText()).toMatch(/Rolled · ends in (1 hour|\d+ minutes)/);
    expect(await page.getByTestId('expiry-warning').count()).toBe(0);
    expect(await page.getByTestId('expiring-warning').count()).toBe(0);
  });

  it('a revoked key shows that it is revoked, never an expiry warning', async () => {
    await createKeyExpiringIn7Days('short-lived');
    const row = page.getByTestId('api-key-row').filter({ hasText: 'short-lived' });
    await row.getByTestId('expiry-warning').waitFor();
    expect(await page.getByTestId('expiring-warning').innerText()).toMatch(/^1 key will expire within 7 days: short-lived \(in \d days\)/);

    await row.getByRole('link', { name: 'short-lived' }).click();
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('alertdialog', { name: 'Revoke “short-lived”?' }).getByRole('button', { name: 'Revoke key “short-lived”' }).click();
    await page.getByTestId('key-revoked-notice').waitFor();
    expect(await page.getByTestId('key-expiring-notice').count()).toBe(0);
    expect(await page.getByTestId('expiry-warning').count()).toBe(0);

    await page.getByRole('link', { name: '← API keys' }).click();
    await page.getByTestId('api-keys-table').waitFor();
    expect(await page.getByTestId('expiring-warning').count()).toBe(0);
    await page.getByLabel('Show revoked and expired keys').check();
    const revoked = page.getByTestId('api-key-row').filter({ hasText: 'short-lived' });
    await revoked.getByText('Revoked').waitFor();
    expect(await revoked.locator('[data-label="Expires"]').innerText()).toBe('—');
    expect(await page.getByTestId('expiry-warning').count()).toBe(0);
    await page.getByLabel('Show revoked and expired keys').uncheck();
  });

  it('shows every key’s usage on the usage page, most requests first', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    const rows = page.getByTestId('usage-row');
    await eventually(async () => expect(await rows.count()).toBe(3));
    // ci-deploy: 8, and 1 more while it was being revoked (the request after revoking is not one of its outcomes).
    expect(await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-key-id'), tr.querySelector('[data-outcome="total"]')?.textContent]))).toEqual([
      [s.keyId, '9'],
      [s.rolledFromId, '3'],
      [expect.stringMatching(/^key_/), '1'],
    ]);
    expect(await rows.first().innerText()).toContain('Inactive');
    await expectChartDrawn('usage-chart');
    await shotsOfPage('usage');
  });

  it('registers and deletes agents', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    await page.getByText('No agents yet').waitFor();
    // The empty page says how to run the reference agent against this very server.
    const command = page.getByTestId('run-agent-command');
    expect(await command.innerText()).toContain(`PRIVATE_CONNECT_URL=${server.url} PRIVATE_CONNECT_API_KEY=<a key> npx private-connect agent --name <name>`);
    await shot('agents-empty', false);
    await page.getByRole('button', { name: 'Register agent' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Register an agent' });
    await dialog.getByLabel('Name').fill('office-gateway');
    await dialog.getByLabel('Label (optional)').fill('Berlin office');
    await dialog.getByRole('button', { name: 'Register agent' }).click();
    await page.getByTestId('agent-row').filter({ hasText: 'office-gateway' }).waitFor();

    // An agent registering itself with its API key shows up too.
    const res = await fetch(url('/v1/agents'), {
      method: 'POST',
      headers: { 'x-api-key': s.rolledKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci-runner-1', label: 'GitHub Actions' }),
    });
    expect(res.status).toBe(201);
    await page.reload();
    await page.getByTestId('agent-row').filter({ hasText: 'ci-runner-1' }).waitFor();
    await shot('agents');

    await page.getByRole('button', { name: 'Delete agent ci-runner-1' }).click();
    await page.getByRole('alertdialog', { name: 'Delete agent “ci-runner-1”?' }).getByRole('button', { name: 'Delete agent' }).click();
    await page.getByTestId('agent-row').filter({ hasText: 'ci-runner-1' }).waitFor({ state: 'detached' });
    expect(await page.getByTestId('agent-row').count()).toBe(1);
  });

  it('shows the reference agent online, live, while it runs, filters by status, and offline once it is stopped', async () => {
    const rows = page.getByTestId('agent-row');
    const gateway = rows.filter({ hasText: 'office-gateway' });
    await gateway.getByText('Offline').waitFor();
    expect(await gateway.getByTestId('agent-last-seen').innerText()).toBe('Never');
    expect((await registerAgent(s.rolledKey, 'backup-gateway')).status).toBe(201);

    // `npx private-connect agent --name office-gateway`: it finds the agent registered above by name.
    const agent = startReferenceAgent(url(''), s.rolledKey, 'office-gateway');
    try {
      // No reload: the page polls.
      await page.locator('[data-testid="agent-row"][data-status="online"]', { hasText: 'office-gateway' }).waitFor({ timeout: 20_000 });
      expect(agent.log()).toMatch(/found as agt_\w+; reusing it/);
      await gateway.getByText('Online').waitFor();
      const lastSeen = await gateway.getByTestId('agent-last-seen').innerText();
      expect(lastSeen).toContain('just now');
      expect(lastSeen).toContain('127.0.0.1');
      expect(await gateway.innerText()).toMatch(/\d+\.\d+\.\d+/); // the version the agent reports
      await rows.filter({ hasText: 'backup-gateway' }).waitFor();

      await page.getByLabel('Online', { exact: true }).check();
      await eventually(async () => expect(await rows.allInnerTexts()).toEqual([expect.stringContaining('office-gateway')]));
      await page.getByLabel('Offline', { exact: true }).check();
      await eventually(async () => expect(await rows.allInnerTexts()).toEqual([expect.stringContaining('backup-gateway')]));
      await page.getByLabel('All', { exact: true }).check();
      await eventually(async () => expect(await rows.count()).toBe(2));
      await shotsOfPage('agents-status');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    // Stopped: no more heartbeats, so past the server's threshold (5 s here) the page says offline, by itself.
    await page.locator('[data-testid="agent-row"][data-status="offline"]', { hasText: 'office-gateway' }).waitFor({ timeout: 30_000 });
    expect(agent.log()).toContain('stopped');
  });

  it('adds a webhook pointing at a local receiver and shows its secret once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await waitForPath('/webhooks');
    await page.getByText('No webhooks yet').waitFor();
    await page.getByRole('button', { name: 'Add webhook' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('url');

    await dialog.getByLabel('Endpoint URL').fill('receiver.example');
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    await dialog.getByText('url must be an absolute URL').waitFor();
    await dialog.getByLabel('Endpoint URL').fill(receiver.url);
    await dialog.getByLabel('Description (optional)').fill('e2e receiver');
    await dialog.getByRole('checkbox', { name: /All events/ }).uncheck();
    await dialog.getByRole('checkbox', { name: /agent\.created/ }).check();
    await dialog.getByRole('checkbox', { name: /api_key\.revoked/ }).check();
    await shot('webhook-add', false);
    await dialog.getByRole('button', { name: 'Add webhook' }).click();

    const created = page.getByRole('dialog', { name: 'Webhook added' });
    await created.waitFor();
    s.webhookSecret = await created.getByTestId('webhook-secret').inputValue();
    expect(s.webhookSecret).toMatch(SECRET_SHAPE);
    expect(await created.innerText()).toContain('It will not be shown again.');
    expect(await created.innerText()).toContain('Standard Webhooks');
    await created.getByRole('button', { name: 'Copy secret' }).click();
    await created.getByRole('button', { name: 'Copied', exact: true }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(s.webhookSecret);
    await shot('webhook-created', false);

    await created.getByRole('button', { name: /I’ve copied it/ }).click();
    const row = page.getByTestId('webhook-row').filter({ hasText: receiver.url });
    await row.waitFor();
    expect(await row.innerText()).toContain('agent.created, api_key.revoked');
    expect(await row.innerText()).toContain('Enabled');
    expect(await page.content()).not.toContain(s.webhookSecret);
    await row.getByRole('link', { name: receiver.url }).click();
    await page.getByTestId('webhook-url').filter({ hasText: receiver.url }).waitFor();
    expect(pathname()).toMatch(/^\/webhooks\/whk_/);
  });

  it('sends a test event: the receiver gets a POST signed the Standard Webhooks way, and the log shows it succeeded', async () => {
    await page.getByText('No deliveries yet').waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const got = await receiver.waitFor(1);
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/hooks');
    for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) expect(got.headers[h]).toBeTruthy();
    const payload = new Webhook(s.webhookSecret).verify(got.body, got.headers) as { type: string };
    expect(payload.type).toBe('webhook.test');
    expect(() => new Webhook(`whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`).verify(got.body, got.headers)).toThrow();

    // The log polls: the delivery turns from queued to succeeded without a reload.
    const delivered = page.locator(`[data-testid="delivery-row"][data-status="succeeded"][data-event-id="${got.headers['webhook-id']}"]`);
    await delivered.waitFor({ timeout: 20_000 });
    const text = await delivered.innerText();
    expect(text).toContain('webhook.test');
    expect(text).toContain('Succeeded');
    expect(text).toContain('200');
    expect(text).toMatch(/\d+ ms/);
    await shotsOfPage('webhook-detail');
  });

  it('delivers an event it subscribes to, and redelivers it with the same webhook-id', async () => {
    expect((await registerAgent(s.rolledKey, 'hook-probe')).status).toBe(201);
    const got = await receiver.waitFor(2);
    const payload = new Webhook(s.webhookSecret).verify(got.body, got.headers) as { type: string; data: { name: string } };
    expect(payload.type).toBe('agent.created');
    expect(payload.data.name).toBe('hook-probe');

    const row = page.locator(`[data-testid="delivery-row"][data-status="succeeded"][data-event-id="${got.headers['webhook-id']}"]`);
    await row.waitFor({ timeout: 20_000 });
    await row.getByRole('button', { name: /^Redeliver agent\.created/ }).click();
    const again = await receiver.waitFor(3);
    expect(again.headers['webhook-id']).toBe(got.headers['webhook-id']);
    new Webhook(s.webhookSecret).verify(again.body, again.headers);
    await eventually(async () => expect(await page.locator(`[data-testid="delivery-row"][data-event-id="${got.headers['webhook-id']}"]`).count()).toBe(2), 20_000);
  });

  it('rotates the secret with an overlap: deliveries then verify with the new secret and the old one', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByTestId('rotate-dialog');
    const field = dialog.getByLabel('Keep signing with the old secret for (seconds)');
    expect(await field.inputValue()).toBe('86400');
    await dialog.getByText('The old secret signs too for 24 hours').waitFor();
    await field.fill('3600');
    await shot('webhook-rotate', false);
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();

    const result = page.getByTestId('rotate-result-dialog');
    await result.waitFor();
    s.previousWebhookSecret = s.webhookSecret;
    s.webhookSecret = await result.getByTestId('webhook-secret').inputValue();
    expect(s.webhookSecret).toMatch(SECRET_SHAPE);
    expect(s.webhookSecret).not.toBe(s.previousWebhookSecret);
    expect(await result.getByTestId('previous-secret-remaining').innerText()).toContain('signature with the old secret');
    await result.getByRole('button', { name: /I’ve copied it/ }).click();
    expect(await page.getByTestId('previous-secret-notice').innerText()).toMatch(/\b(1 hour|60 minutes|59 minutes)\b/);

    await page.getByRole('button', { name: 'Send test event' }).click();
    const got = await receiver.waitFor(4);
    new Webhook(s.webhookSecret).verify(got.body, got.headers);
    new Webhook(s.previousWebhookSecret).verify(got.body, got.headers);
    expect(got.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    await page.locator('[data-testid="delivery-row"][data-status="succeeded"]', { hasText: 'webhook.test' }).nth(1).waitFor({ timeout: 20_000 });
  });

  it('disables the webhook: no test, and events are no longer delivered', async () => {
    const toggle = page.getByRole('switch', { name: 'Deliver events to this endpoint' });
    await toggle.uncheck();
    await page.getByRole('heading', { level: 1 }).getByText('Disabled').waitFor();
    expect(await page.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
    const logged = await page.getByTestId('delivery-row').count();

    // Deliveries are written in the transaction of the change, so by the 201 there would be one.
    expect((await registerAgent(s.rolledKey, 'hook-probe-2')).status).toBe(201);
    await page.reload();
    await page.getByTestId('delivery-row').first().waitFor();
    expect(await page.getByTestId('delivery-row').count()).toBe(logged);
    expect(receiver.received).toHaveLength(4);

    await page.getByRole('link', { name: '← Webhooks' }).click();
    const row = page.getByTestId('webhook-row').filter({ hasText: receiver.url });
    await row.getByText('Disabled').waitFor();
    await shotsOfPage('webhooks');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Action').selectOption('webhook.secret_rotated');
    await eventually(async () => expect(await page.getByTestId('audit-row').first().getAttribute('data-action')).toBe('webhook.secret_rotated'));
    expect(await page.getByTestId('audit-row').first().innerText()).toContain('Webhook secret rotated');
  });

  it('shows where you are signed in and signs out another session', async () => {
    // A second session, from a script: sign in by e-mail over REST.
    const login = await fetch(url('/v1/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL }),
    });
    expect(login.status).toBe(200);
    const mail = await sink.waitForMail(EMAIL, 2);
    const token = new URL(mail.link!).searchParams.get('token')!;
    const verified = await fetch(url(`/v1/auth/verify?token=${encodeURIComponent(token)}`));
    expect(verified.status).toBe(200);
    const cookie = /session=([^;]+)/.exec(verified.headers.get('set-cookie') ?? '')![0];
    const me = () => fetch(url('/v1/auth/me'), { headers: { cookie } });
    expect((await me()).status).toBe(200);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('heading', { name: 'Where you’re signed in' }).waitFor();
    const items = page.getByTestId('session-item');
    await eventually(async () => expect(await items.count()).toBe(2));
    const current = page.locator('[data-testid="session-item"][data-current="true"]');
    expect(await current.innerText()).toContain('This device');
    expect(await current.innerText()).toContain('Chrome on Linux');
    expect(await current.getByTestId('session-workspace').innerText()).toBe(`In ${WORKSPACE}`);
    await shot('sessions');

    const other = page.locator('[data-testid="session-item"][data-current="false"]');
    await other.getByRole('button', { name: /^Sign out / }).click();
    await other.waitFor({ state: 'detached' });
    expect(await items.count()).toBe(1);
    expect((await me()).status).toBe(401);
  });

  it('shows the audit log, pages with "Load more" and filters by action', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    await shot('audit-log', false);

    // Enough entries for a second page of 25.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(url('/v1/agents'), {
        method: 'POST',
        headers: { 'x-api-key': s.rolledKey, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bulk-${i}` }),
      });
      expect(res.status).toBe(201);
    }
    await page.reload();
    await rows.first().waitFor();
    expect(await rows.count()).toBe(25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByTestId('audit-end').waitFor();
    expect(await rows.count()).toBeGreaterThan(25);

    await page.getByLabel('Action').selectOption('api_key.revoked');
    await eventually(async () => {
      // ci-deploy and short-lived.
      expect(await rows.count()).toBe(2);
      expect(await rows.first().getAttribute('data-action')).toBe('api_key.revoked');
    });
    await page.getByLabel('Action').selectOption('api_key.ip_denied');
    await eventually(async () => expect(await rows.first().getAttribute('data-action')).toBe('api_key.ip_denied'));
    // Back to all actions: the pages already loaded are kept.
    await page.getByLabel('Action').selectOption('');
    await eventually(async () => expect(await rows.count()).toBeGreaterThan(25));
  });

  it('opens an audit entry’s details in full, by keyboard, and fits a phone without scrolling sideways, light and dark', async () => {
    // At 1280 px every column is in view: the table does not scroll sideways.
    expect(await page.locator('.table-wrap').evaluate((e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);
    const row = page.locator('[data-testid="audit-row"][data-action="webhook.created"]');
    const toggle = row.getByTestId('audit-toggle');
    // The column cuts the webhook's URL short…
    expect(await toggle.locator('.audit-summary').evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    // …and its details show all of it, with what the row has no room for.
    const panel = page.locator(`[id="${await toggle.getAttribute('aria-controls')}"]`);
    const details = await panel.innerText();
    expect(details).toContain(receiver.url);
    expect(details).toContain('User agent');
    expect(details).toContain('Chrome');
    expect(await page.locator('.table-wrap').evaluate((e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);
    await row.scrollIntoViewIfNeeded();
    await shot('audit-log-details', false);
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('audit-log-details-dark', false);
    await page.emulateMedia({ colorScheme: 'light' });

    await page.setViewportSize({ width: 390, height: 844 });
    await fitsPhone();
    const filter = (await page.getByLabel('Action').boundingBox())!;
    expect(filter.x + filter.width).toBeLessThanOrEqual(390);
    expect(await panel.innerText()).toContain(receiver.url);
    await panel.scrollIntoViewIfNeeded();
    await shot('audit-log-phone', false);
    await page.keyboard.press('Space');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await panel.count()).toBe(0);
    await page.emulateMedia({ colorScheme: 'dark' });
    await fitsPhone();
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('fits a phone and follows the system’s dark mode', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByTestId('api-keys-table').waitFor();
    await page.getByLabel('Show revoked and expired keys').check();
    await page.getByTestId('api-key-row').filter({ hasText: 'ci-deploy' }).waitFor();
    // Revoked, rolled and unexpiring keys only: nothing here is about to expire.
    expect(await page.getByTestId('expiry-warning').count()).toBe(0);
    expect(await page.getByTestId('expiring-warning').count()).toBe(0);
    await shot('keys');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('keys-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Every section is in reach without scrolling the bar sideways.
    expect(await page.getByRole('navigation', { name: 'Main' }).evaluate((nav) => nav.scrollWidth - nav.clientWidth)).toBeLessThanOrEqual(0);
    await shot('keys-phone');
    await page.getByTestId('api-key-row').filter({ hasText: 'ci-deploy' }).getByRole('link', { name: 'ci-deploy' }).click();
    await page.getByTestId('key-revoked-notice').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('key-detail-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out from the account menu; protected pages then send you to sign-in', async () => {
    await page.getByTestId('account-menu').click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await waitForPath('/sign-in');
    await page.getByText('You are signed out.').waitFor();

    for (const path of ['/keys', `/keys/${s.keyId}`, '/usage', '/audit-log', '/webhooks']) {
      await page.goto(url(path));
      await waitForPath('/sign-in');
      await page.getByText('Sign in to continue.').waitFor();
    }
  });

  it('a used link says so and offers a new one', async () => {
    await page.goto(s.link);
    const invalid = page.getByTestId('verify-invalid');
    await invalid.waitFor();
    expect(await invalid.innerText()).toContain('expired or was already used');
    await invalid.getByRole('button', { name: 'Email me a new link' }).waitFor();
    await shot('verify-used-link');
  });

  it('ran without a script error or a CSP violation under the server’s headers', async () => {
    const res = await fetch(url('/keys'));
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(browserProblems).toEqual([]);
  });

  it('takes every screenshot the READMEs show, into a folder git ignores unless `npm run screenshots` asked for the READMEs’ own', () => {
    const shown = [join(REPO_ROOT, 'README.md'), join(WEB_ROOT, 'README.md')].flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/e2e\/screenshots\/([\w-]+)\.png/g)].map((m) => m[1]!));
    expect(shown.length).toBeGreaterThan(10);
    // The team pages' pictures are taken by teams.e2e.test.ts, which checks its own.
    expect(shown.filter((name) => !shots.has(name) && !TEAM_README_SHOTS.includes(name))).toEqual([]);
    if (process.env.SCREENSHOTS_DIR) {
      expect(SCREENSHOTS).toBe(join(WEB_ROOT, 'e2e', 'screenshots'));
    } else {
      // `git check-ignore` answers 0 for an ignored path: `npm test` leaves `git status` as it found it.
      expect(spawnSync('git', ['check-ignore', '-q', join(SCREENSHOTS, 'keys.png')], { cwd: REPO_ROOT }).status).toBe(0);
    }
  });

  it('the server log never shows a full key or a webhook secret', () => {
    const secrets = [s.key, s.rolledFromKey, s.rolledKey, s.webhookSecret, s.previousWebhookSecret];
    expect(secrets.every(Boolean)).toBe(true);
    for (const secret of secrets) expect(server.log()).not.toContain(secret);
  });
});
