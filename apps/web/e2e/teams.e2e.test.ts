import { PERMISSION_REASONS } from '@pc/contract';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT as RUN_OUTPUT, REPO_ROOT, SCREENSHOTS, TEAM_README_SHOTS, assertPrerequisites, launchBrowser, makeTempDir, startServer, startSmtpSink } from './harness.js';

/**
 * Teams in Debian's Chromium against the real built server and a real SMTP sink: an owner invites
 * a second person, who joins from the mailed link in a browser of their own; what their role may
 * not do is disabled with the reason; the owner promotes, then removes them. Then the owner, invited
 * to a second workspace, switches between the two. Last, the owner of a third workspace deletes it
 * by typing its name, and its API key is refused from then on. Steps run in order and share state.
 */
const OWNER = 'olga@teams-e2e.test';
const WORKSPACE = 'teams-e2e';
const INVITEE = 'bea@teams-e2e.test';
const OTHER_OWNER = 'cara@other-e2e.test';
const OTHER_WORKSPACE = 'other-e2e';
const DOOMED_OWNER = 'dora@doomed-e2e.test';
const DOOMED_WORKSPACE = 'doomed-e2e';
const KEY_SHAPE = /^pc_live_[0-9A-Za-z]{32}$/;
/** Git-ignored: for a person to look at, never committed. */
const OUTPUT = join(RUN_OUTPUT, 'teams');

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let server: Awaited<ReturnType<typeof startServer>>;
const contexts: BrowserContext[] = [];
/** The owner's browser, and the invitee's: two profiles, two sets of cookies. */
let owner: Page;
let invitee: Page;
const dirs: { remove(): void }[] = [];
const browserProblems: string[] = [];
const s = { invitation: '' };

const url = (path: string) => `${server.url}${path}`;
const pathname = (p: Page) => new URL(p.url()).pathname;
const waitForPath = (p: Page, path: string) => p.waitForFunction((want) => window.location.pathname === want, path);
async function nav(p: Page, label: string) {
  const link = p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label });
  await link.click();
  await waitForPath(p, (await link.getAttribute('href'))!);
}

/** The README's pictures this run took. */
const readmeShots = new Set<string>();

/** A screenshot of the whole page; toasts are dismissed first unless an open menu would close with a click. */
async function shot(p: Page, name: string, { dismissToasts = true, readme = false } = {}) {
  // A toast may leave by itself between being found and clicked.
  if (dismissToasts) for (const close of await p.getByRole('button', { name: 'Dismiss notification' }).all()) await close.click({ timeout: 1000 }).catch(() => {});
  // The README's own pictures go where `npm run screenshots` keeps them; the rest stay with the run.
  const dir = readme && process.env.SCREENSHOTS_DIR ? SCREENSHOTS : OUTPUT;
  if (readme) readmeShots.add(name);
  await p.screenshot({ path: join(dir, `${name}.png`), fullPage: true, animations: 'disabled' });
}
/** At 390 px nothing sticks out sideways, and every section is in reach without scrolling the bar. */
async function fitsPhone(p: Page) {
  expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await p.getByRole('navigation', { name: 'Main' }).evaluate((n) => n.scrollWidth - n.clientWidth)).toBeLessThanOrEqual(0);
}
/** A control is disabled and the visible text it points at says why, in the contract's words. */
async function expectDisabledBecause(control: Locator, reason: string) {
  await control.waitFor();
  expect(await control.isDisabled()).toBe(true);
  const note = await control.evaluate((el) => {
    const target = document.getElementById(el.getAttribute('aria-describedby') ?? '');
    return target && target.checkVisibility() ? target.textContent : null;
  });
  expect(note).toContain(reason);
}

/** Signs up over REST as a script would, and returns the session cookie. */
async function restSignUp(email: string, workspaceName: string): Promise<string> {
  const res = await fetch(url('/v1/auth/register'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, workspaceName }) });
  expect(res.status).toBe(200);
  const token = new URL((await sink.waitForMail(email)).link!).searchParams.get('token')!;
  const verified = await fetch(url(`/v1/auth/verify?token=${encodeURIComponent(token)}`));
  expect(verified.status).toBe(200);
  return verified.headers.getSetCookie()[0]!.split(';')[0]!;
}
const restPost = (cookie: string, path: string, body: unknown) =>
  fetch(url(path), { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const callAgents = (key: string) => fetch(url('/v1/agents'), { headers: { 'x-api-key': key } });

async function openBrowser(): Promise<Page> {
  const profile = makeTempDir('pc-teams-profile-');
  dirs.push(profile);
  const context = await launchBrowser(profile.path);
  context.setDefaultTimeout(10_000);
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => browserProblems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) browserProblems.push(`CSP: ${m.text()}`);
  });
  return page;
}

beforeAll(async () => {
  assertPrerequisites();
  mkdirSync(OUTPUT, { recursive: true });
  const data = makeTempDir('pc-teams-data-');
  dirs.push(data);
  sink = await startSmtpSink();
  server = await startServer(sink.port, data.path);
  owner = await openBrowser();
  invitee = await openBrowser();
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await server?.stop();
  await sink?.close();
  for (const d of dirs) d.remove();
});

describe('teams, end to end', () => {
  it('the owner signs up and finds the Members page in the navigation', async () => {
    await owner.goto(url('/sign-up'));
    await owner.getByLabel('Work e-mail').fill(OWNER);
    await owner.getByLabel('Workspace name').fill(WORKSPACE);
    await owner.getByRole('button', { name: 'Create workspace' }).click();
    await owner.getByTestId('check-email').waitFor();
    await owner.goto((await sink.waitForMail(OWNER)).link!);
    await owner.getByRole('button', { name: 'Create and sign in' }).click();
    await waitForPath(owner, '/keys');

    // A key for the invitee to see listed, made with the owner's session as a script would.
    const cookie = (await owner.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    expect((await restPost(cookie, '/v1/api-keys', { name: 'olga-key' })).status).toBe(201);

    await nav(owner, 'Members');
    await waitForPath(owner, '/members');
    const row = owner.getByTestId('member-row');
    await row.waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain(OWNER);
    expect(await row.getByText('You').count()).toBe(1);
    expect(await row.getByRole('combobox', { name: `Role of ${OWNER}` }).inputValue()).toBe('owner');
    expect(await owner.getByTestId('my-role').innerText()).toBe('an owner');
  });

  it('invites a second person as a member; the invitation is listed with its inviter', async () => {
    const form = owner.getByTestId('invite-form');
    expect(await form.getByLabel('Role').locator('option').allInnerTexts()).toEqual(['Owner', 'Admin', 'Member']);
    await form.getByLabel('E-mail').fill(INVITEE);
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await owner.getByTestId('toast').filter({ hasText: `Invitation sent to ${INVITEE}` }).waitFor();
    const row = owner.getByTestId('invitation-row').filter({ hasText: INVITEE });
    await row.waitFor();
    expect(await row.innerText()).toContain('Member');
    expect(await row.innerText()).toContain(OWNER);

    // Inviting the owner themself: the server's 409, in the form.
    await form.getByLabel('E-mail').fill(OWNER);
    await form.getByRole('button', { name: 'Send invitation' }).click();
    expect(await owner.getByTestId('invite-error').innerText()).toBe('This person is already a member of the workspace.');
    await form.getByLabel('E-mail').fill('');

    const mail = await sink.waitForMail(INVITEE);
    expect(mail.text).toContain(`${OWNER} invited you to join the workspace "${WORKSPACE}"`);
    s.invitation = mail.link!;
    expect(s.invitation.startsWith(`${server.url}/auth/invitation?token=`)).toBe(true);
  });

  it('the link names the workspace, the inviter, the role and the masked address, and accepts nothing on load', async () => {
    const accepts: string[] = [];
    invitee.on('request', (r) => {
      if (r.url().includes('invitations.accept')) accepts.push(r.url());
    });
    await invitee.goto(s.invitation);
    expect(await invitee.getByTestId('invitation-target').innerText()).toBe(`Join ${WORKSPACE} on Private Connect`);
    const masked = `${INVITEE[0]}•••@${INVITEE.split('@')[1]}`;
    expect(await invitee.getByTestId('invitation-summary').innerText()).toBe(`${OWNER} invited ${masked} to join as a member.`);
    expect(await invitee.getByTestId('invitation-account').innerText()).toContain(`Accepting creates an account for ${masked}`);
    expect(await invitee.getByTestId('invitation-other-account').count()).toBe(0);
    await invitee.waitForLoadState('networkidle');
    expect(accepts).toEqual([]);
    await shot(invitee, 'invitation', { readme: true });

    await invitee.getByRole('button', { name: 'Accept and create account' }).click();
    await waitForPath(invitee, '/keys');
    expect(accepts).toHaveLength(1);
    await invitee.getByTestId('account-menu').getByText(WORKSPACE).waitFor();
  });

  it('as a member, sees the lists, and every change is disabled with the reason', async () => {
    await invitee.getByTestId('api-key-row').filter({ hasText: 'olga-key' }).waitFor();
    await expectDisabledBecause(invitee.getByRole('button', { name: 'Create API key' }).first(), PERMISSION_REASONS.manageApiKeys);

    await invitee.getByRole('link', { name: 'olga-key' }).click();
    await expectDisabledBecause(invitee.getByRole('button', { name: 'Roll key' }), PERMISSION_REASONS.manageApiKeys);
    await expectDisabledBecause(invitee.getByRole('button', { name: 'Revoke key' }), PERMISSION_REASONS.manageApiKeys);
    expect(await invitee.getByRole('button', { name: 'Add range' }).isDisabled()).toBe(true);

    await nav(invitee, 'Agents');
    await expectDisabledBecause(invitee.getByRole('button', { name: 'Register agent' }), PERMISSION_REASONS.manageAgents);
    await nav(invitee, 'Webhooks');
    await expectDisabledBecause(invitee.getByRole('button', { name: 'Add webhook' }).first(), PERMISSION_REASONS.manageWebhooks);

    // The audit log says why instead of answering with a 403.
    await nav(invitee, 'Audit log');
    await invitee.getByTestId('permission-note').filter({ hasText: PERMISSION_REASONS.readAuditLog }).waitFor();
    expect(await invitee.locator('.error-state').count()).toBe(0);

    await nav(invitee, 'Members');
    await invitee.getByTestId('member-row').nth(1).waitFor();
    expect(await invitee.getByTestId('invite-form').count()).toBe(0);
    expect(await invitee.getByRole('combobox').count()).toBe(0);
    const notes = await invitee.getByTestId('permission-note').allInnerTexts();
    expect(notes.join('\n')).toContain(PERMISSION_REASONS.inviteMembers);
    expect(notes.join('\n')).toContain(PERMISSION_REASONS.manageMembers);
    await invitee.getByTestId('account-menu').click();
    expect(await invitee.getByTestId('account-role').innerText()).toBe('Member');
    await invitee.keyboard.press('Escape');

    await invitee.setViewportSize({ width: 390, height: 844 });
    await fitsPhone(invitee);
    await shot(invitee, 'members-as-member-phone');
    await invitee.setViewportSize({ width: 1280, height: 800 });
  });

  it('the owner makes them an admin; they can then create a key', async () => {
    await owner.reload();
    const row = owner.getByTestId('member-row').filter({ hasText: INVITEE });
    await row.getByRole('combobox', { name: `Role of ${INVITEE}` }).selectOption('admin');
    await owner.getByTestId('toast').filter({ hasText: `${INVITEE} is now an admin.` }).waitFor();
    // The invitation was spent by accepting it.
    await owner.getByText('No pending invitations').waitFor();

    // The role holds from the invitee's next request; the page learns it when it loads.
    await invitee.goto(url('/keys'));
    const create = invitee.getByRole('button', { name: 'Create API key' }).first();
    await create.waitFor();
    expect(await create.isDisabled()).toBe(false);
    expect(await invitee.getByTestId('permission-note').count()).toBe(0);
    await create.click();
    const dialog = invitee.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill('bea-key');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    expect(await invitee.getByTestId('new-api-key').inputValue()).toMatch(KEY_SHAPE);
    await invitee.getByRole('button', { name: /I’ve copied it/ }).click();
    await invitee.getByTestId('api-key-row').filter({ hasText: 'bea-key' }).waitFor();

    // An admin reads the audit log, and invites admins and members but not owners.
    await nav(invitee, 'Audit log');
    await invitee.getByTestId('audit-row').first().waitFor();
    await nav(invitee, 'Members');
    await invitee.getByTestId('invite-form').waitFor();
    expect(await invitee.getByTestId('invite-form').getByLabel('Role').locator('option').allInnerTexts()).toEqual(['Admin', 'Member']);
  });

  it('the Members page at 1280 px, in dark mode, and at 390 px', async () => {
    // A pending invitation, so the page shows all it has.
    const form = owner.getByTestId('invite-form');
    await form.getByLabel('E-mail').fill('carl@teams-e2e.test');
    await form.getByLabel('Role').selectOption('admin');
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await owner.getByTestId('invitation-row').filter({ hasText: 'carl@teams-e2e.test' }).waitFor();
    await owner.getByTestId('toast').filter({ hasText: 'carl@teams-e2e.test' }).waitFor();
    // The README's picture shows the page, not the notice: it goes by itself within 5 s.
    await owner.getByTestId('toast').first().waitFor({ state: 'detached', timeout: 8000 });

    await shot(owner, 'members', { readme: true });
    await owner.emulateMedia({ colorScheme: 'dark' });
    await shot(owner, 'members-dark');
    await owner.setViewportSize({ width: 390, height: 844 });
    await fitsPhone(owner);
    await shot(owner, 'members-dark-phone');
    await owner.emulateMedia({ colorScheme: 'light' });
    await fitsPhone(owner);
    await shot(owner, 'members-phone');
    // Between the two layouts the sections take a row of their own; nothing sticks out either.
    await owner.setViewportSize({ width: 800, height: 800 });
    expect(await owner.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    await owner.setViewportSize({ width: 1280, height: 800 });
    expect(await owner.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  });

  it('the owner removes them after a confirmation; their next request lands them signed out', async () => {
    await owner.getByRole('button', { name: `Remove ${INVITEE}` }).click();
    const dialog = owner.getByRole('alertdialog', { name: `Remove ${INVITEE}?` });
    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await owner.getByTestId('toast').filter({ hasText: `${INVITEE} was removed from ${WORKSPACE}` }).waitFor();
    await owner.getByTestId('member-row').filter({ hasText: INVITEE }).waitFor({ state: 'detached' });

    await nav(invitee, 'Agents');
    await waitForPath(invitee, '/sign-in');
    await invitee.getByText('Sign in to continue.').waitFor();
  });

  it('the used invitation link says so before any click', async () => {
    await invitee.goto(s.invitation);
    expect(await invitee.getByTestId('invitation-invalid').innerText()).toContain('It has expired, was revoked, or was already accepted.');
    expect(await invitee.getByRole('button', { name: /Accept/ }).count()).toBe(0);
    await shot(invitee, 'invitation-used');
  });

  it('invited to a second workspace, the owner joins it and switches between the two', async () => {
    const cara = await restSignUp(OTHER_OWNER, OTHER_WORKSPACE);
    expect((await restPost(cara, '/v1/api-keys', { name: 'cara-key' })).status).toBe(201);
    expect((await restPost(cara, '/v1/invitations', { email: OWNER, role: 'member' })).status).toBe(201);
    const link = (await sink.waitForMail(OWNER, 2)).link!;
    expect(link.startsWith(`${server.url}/auth/invitation?token=`)).toBe(true);

    await owner.goto(link);
    expect(await owner.getByTestId('invitation-summary').innerText()).toContain(`${OTHER_OWNER} invited`);
    await owner.getByText('You are signed in as this account').waitFor();
    await owner.getByRole('button', { name: 'Accept invitation' }).click();
    await waitForPath(owner, '/keys');
    await owner.getByTestId('api-key-row').filter({ hasText: 'cara-key' }).waitFor();
    expect(await owner.getByTestId('account-menu').innerText()).toContain(OTHER_WORKSPACE);
    expect(await owner.getByRole('button', { name: 'Create API key' }).first().isDisabled()).toBe(true);

    // From the keyboard: open the menu, move to the other workspace, choose it.
    await nav(owner, 'Members');
    await owner.getByTestId('member-row').first().waitFor();
    await owner.getByTestId('account-menu').focus();
    await owner.keyboard.press('Enter');
    const switcher = owner.getByTestId('workspace-switcher');
    await switcher.waitFor();
    expect(await switcher.getByTestId('workspace-current').innerText()).toContain(OTHER_WORKSPACE);
    expect(await switcher.getByTestId('workspace-current').innerText()).toContain('Member');
    const other = switcher.getByRole('button', { name: `${WORKSPACE} Owner` });
    await shot(owner, 'workspace-switcher', { dismissToasts: false });
    await other.focus();
    await owner.keyboard.press('Enter');

    await waitForPath(owner, '/keys');
    await owner.getByTestId('api-key-row').filter({ hasText: 'bea-key' }).waitFor();
    expect(await owner.getByTestId('api-key-row').filter({ hasText: 'cara-key' }).count()).toBe(0);
    expect(await owner.getByTestId('account-menu').innerText()).toContain(WORKSPACE);
    expect(await owner.getByRole('button', { name: 'Create API key' }).first().isDisabled()).toBe(false);

    // And back, with a click.
    await owner.getByTestId('account-menu').click();
    await owner.getByTestId('workspace-switcher').getByRole('button', { name: `${OTHER_WORKSPACE} Member` }).click();
    await owner.getByTestId('api-key-row').filter({ hasText: 'cara-key' }).waitFor();
    expect(await owner.getByTestId('api-key-row').filter({ hasText: 'bea-key' }).count()).toBe(0);
    expect(pathname(owner)).toBe('/keys');

    // The sessions page says which workspace this browser is in now.
    await nav(owner, 'Sessions');
    const here = owner.locator('[data-testid="session-item"][data-current="true"]');
    await here.waitFor();
    expect(await here.getByTestId('session-workspace').innerText()).toBe(`In ${OTHER_WORKSPACE}`);
  });

  // Before the last step, so what this browser logs is checked too.
  it('the owner of a third workspace deletes it by typing its name; its API key is refused from then on', async () => {
    // A workspace of its own, so the ones the steps above share stay as they are.
    const cookie = await restSignUp(DOOMED_OWNER, DOOMED_WORKSPACE);
    const created = await restPost(cookie, '/v1/api-keys', { name: 'dora-key' });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    expect((await callAgents(key)).status).toBe(200);

    const dora = await openBrowser();
    const eq = cookie.indexOf('=');
    await dora.context().addCookies([{ name: cookie.slice(0, eq), value: cookie.slice(eq + 1), url: server.url }]);
    await dora.goto(url('/members'));
    const section = dora.getByTestId('delete-workspace');
    expect(await section.innerText()).toContain('API keys are refused everywhere');
    await section.getByRole('button', { name: 'Delete workspace' }).click();
    const dialog = dora.getByRole('alertdialog', { name: `Delete ${DOOMED_WORKSPACE}?` });
    const confirm = dialog.getByLabel(`Type ${DOOMED_WORKSPACE} to confirm`);
    const submit = dialog.getByRole('button', { name: 'Delete workspace' });
    await confirm.fill(DOOMED_WORKSPACE.slice(0, -1));
    expect(await submit.isDisabled()).toBe(true);
    await confirm.fill(DOOMED_WORKSPACE);
    expect(await submit.isDisabled()).toBe(false);
    await shot(dora, 'delete-workspace-dialog');
    await submit.click();

    await waitForPath(dora, '/sign-in');
    expect(new URL(dora.url()).search).toBe('?reason=signed-out');
    await dora.getByText('You are signed out.').waitFor();
    await dora.getByTestId('toast').filter({ hasText: `Workspace ${DOOMED_WORKSPACE} was deleted.` }).waitFor();
    expect((await dora.context().cookies()).filter((c) => c.name === cookie.slice(0, eq))).toEqual([]);

    const refused = await callAgents(key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code?: string }).code).toBe('invalid_api_key');
    // Only that workspace went: the owner's browser above still works in its own.
    await owner.goto(url('/keys'));
    await owner.getByTestId('api-key-row').filter({ hasText: 'cara-key' }).waitFor();
  });

  it('takes the README’s pictures of the team pages', () => {
    const shown = [...readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').matchAll(/e2e\/screenshots\/([\w-]+)\.png/g)].map((m) => m[1]!);
    expect(TEAM_README_SHOTS.every((name) => shown.includes(name))).toBe(true);
    expect([...readmeShots].sort()).toEqual([...TEAM_README_SHOTS].sort());
  });

  it('ran without a script error or a CSP violation', () => {
    expect(browserProblems).toEqual([]);
  });
});
