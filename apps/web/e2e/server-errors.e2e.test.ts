import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SCREENSHOTS, assertPrerequisites, launchBrowser, makeTempDir, startGateway, startServer, startSmtpSink } from './harness.js';

/**
 * What the SPA says when a request fails, in Chromium, behind a real reverse proxy in front of the
 * real server: the server answering with an error of its own (and its request id), the proxy
 * answering for a server that is down, and nothing answering at all.
 */
const EMAIL = 'owner@errors-e2e.test';

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let server: Awaited<ReturnType<typeof startServer>>;
let context: BrowserContext;
let page: Page;
let dataDir: string;
const dirs: { remove(): void }[] = [];
/** The `x-request-id` of each answer to `agents.list`, in order. */
const agentListIds: string[] = [];

const errorState = () => page.getByRole('alert').filter({ hasText: 'Could not load agents' });

/** At 390 px (light) and 1280 px (dark) the error fits and reads the same. */
async function shotsOfError(name: string) {
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), animations: 'disabled' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-dark.png`), animations: 'disabled' });
  await page.emulateMedia({ colorScheme: 'light' });
}

beforeAll(async () => {
  assertPrerequisites();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const data = makeTempDir('pc-e2e-errors-data-');
  const profile = makeTempDir('pc-e2e-errors-profile-');
  dirs.push(data, profile);
  dataDir = data.path;
  sink = await startSmtpSink();
  gateway = await startGateway();
  // People reach the server through the proxy, so that is its public address.
  server = await startServer(sink.port, data.path, { PUBLIC_URL: gateway.url });
  gateway.forwardTo(server.url);
  context = await launchBrowser(profile.path);
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('response', (r) => {
    if (r.url().includes('/trpc/') && r.url().includes('agents.list')) agentListIds.push(r.headers()['x-request-id'] ?? '');
  });
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  await gateway?.close();
  await sink?.close();
  for (const d of dirs) d.remove();
});

describe('failed requests, end to end', () => {
  it('signs in through the proxy and shows the agents page', async () => {
    await page.goto(`${gateway.url}/sign-up`);
    await page.getByLabel('Work e-mail').fill(EMAIL);
    await page.getByLabel('Workspace name').fill('errors-e2e');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByTestId('check-email').waitFor();
    const mail = await sink.waitForMail(EMAIL);
    expect(mail.link!.startsWith(`${gateway.url}/auth/verify?token=`)).toBe(true);
    await page.goto(mail.link!);
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    await page.getByText('No agents yet').waitFor();
  });

  it('the server answering with an error of its own: its message and the request id its log has', async () => {
    // A table the page reads is gone: the server answers 500 in the API's shape.
    const Database = createRequire(join(REPO_ROOT, 'packages/db/package.json'))('better-sqlite3');
    const db = new Database(join(dataDir, 'e2e.db'));
    db.exec('alter table agents rename to agents_away');
    db.close();

    await page.reload();
    await errorState().waitFor();
    const text = await errorState().innerText();
    const requestId = agentListIds.at(-1)!;
    expect(requestId).toMatch(/^req_/);
    expect(text).toContain(`Internal server error. Request id: ${requestId}`);
    expect(text).not.toContain('Could not reach');
    expect(server.log()).toContain(`"requestId":"${requestId}"`);
    await shotsOfError('error-server');
  });

  it('the proxy answering for a server that is down: "answered with an error", with the proxy’s request id', async () => {
    await server.stop();
    await errorState().getByRole('button', { name: 'Try again' }).click();
    await errorState().getByText('The server answered with an error (HTTP 502)').waitFor();
    expect(await errorState().innerText()).toMatch(/Request id: gw-\d+/);
    expect(await errorState().innerText()).not.toContain('Could not reach');
    await shotsOfError('error-proxy');
  });

  it('no answer at all: "could not reach the server", and no request id', async () => {
    await gateway.close();
    await errorState().getByRole('button', { name: 'Try again' }).click();
    await errorState().getByText('Could not reach the server. Check your connection and try again.').waitFor();
    expect(await errorState().innerText()).not.toContain('Request id');
    expect(await errorState().innerText()).not.toContain('answered');
    await shotsOfError('error-unreachable');
  });
});
