import { PERMISSION_REASONS } from '@pc/contract';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeProcedure, renderWithTrpc } from '../../test-utils.js';
import MembersPage from './members-page.js';
import { ME, memberFixture, sessionAs } from './team-fixtures.js';

const MISMATCH = 'Type the workspace’s name, acme, to confirm.';

function renderAs(role: 'owner' | 'admin' | 'member', answers: Record<string, FakeProcedure> = {}) {
  return renderWithTrpc(<MembersPage />, {
    ...sessionAs(role),
    'members.list': { data: [memberFixture(ME.id, role, ME.email), memberFixture('user_bob', 'member')] },
    'invitations.list': { data: [] },
    config: { data: { mailConfigured: true, publicUrl: 'http://localhost:3000' } },
    ...answers,
  });
}
const section = async () => within(await screen.findByTestId('delete-workspace'));
const openButton = async () => (await section()).getByRole('button', { name: 'Delete workspace' }) as HTMLButtonElement;
const inputsOf = (requests: { path: string; input: unknown }[]) => requests.filter((r) => r.path === 'auth.deleteWorkspace').map((r) => r.input);

async function openDialog(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await openButton());
  const dialog = within(screen.getByRole('alertdialog', { name: 'Delete acme?' }));
  return { dialog, confirm: dialog.getByLabelText('Type acme to confirm'), submit: dialog.getByRole('button', { name: 'Delete workspace' }) as HTMLButtonElement };
}

describe('deleting the workspace', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('an owner reads what goes, and Delete waits for the exact name', async () => {
    const user = userEvent.setup();
    const { requests } = renderAs('owner');
    const text = (await screen.findByTestId('delete-workspace')).textContent!;
    for (const what of ['loses access', 'API keys are refused', 'agents, webhooks, usage, invitations and audit log', 'keep their accounts']) expect(text).toContain(what);
    expect((await openButton()).disabled).toBe(false);
    expect((await section()).queryByTestId('permission-note')).toBeNull();

    const { confirm, submit } = await openDialog(user);
    expect(document.activeElement).toBe(confirm);
    expect(submit.disabled).toBe(true);
    for (const wrong of ['acm', 'Acme', 'acme!']) {
      await user.clear(confirm);
      await user.type(confirm, wrong);
      expect(submit.disabled).toBe(true);
    }
    // Enter does not get around the disabled button.
    await user.keyboard('{Enter}');
    await user.clear(confirm);
    await user.type(confirm, ' acme ');
    expect(submit.disabled).toBe(false);
    expect(inputsOf(requests)).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(inputsOf(requests)).toEqual([]);
  });

  it('shows the server’s refusal in the dialog and stays on the page', async () => {
    const user = userEvent.setup();
    const { requests } = renderAs('owner', {
      'auth.deleteWorkspace': { error: { appCode: 'invalid_request', message: MISMATCH, httpStatus: 400, details: [{ path: 'confirm', message: MISMATCH }] } },
    });
    const { dialog, confirm, submit } = await openDialog(user);
    await user.type(confirm, 'acme');
    await user.click(submit);
    expect((await dialog.findByRole('alert')).textContent).toBe(MISMATCH);
    expect(inputsOf(requests)).toEqual([{ confirm: 'acme' }]);
    expect(window.location.pathname).toBe('/');
    expect(screen.getByRole('alertdialog')).toBeTruthy();
  });

  it('sends the name, empties the cache, says so and lands on sign-in', async () => {
    const user = userEvent.setup();
    const { requests, queryClient } = renderAs('owner', { 'auth.deleteWorkspace': { data: { success: true } } });
    const { confirm } = await openDialog(user);
    await user.type(confirm, 'acme{Enter}');
    await waitFor(() => expect(window.location.pathname + window.location.search).toBe('/sign-in?reason=signed-out'));
    expect(inputsOf(requests)).toEqual([{ confirm: 'acme' }]);
    expect((await screen.findByTestId('toast')).textContent).toBe('Workspace acme was deleted.×');
    expect(queryClient.getQueryCache().getAll().filter((q) => q.state.data !== undefined)).toEqual([]);
  });

  for (const role of ['admin', 'member'] as const) {
    it(`as ${role === 'admin' ? 'an admin' : 'a member'}, the button is disabled with the reason beside it`, async () => {
      const user = userEvent.setup();
      renderAs(role);
      const button = await openButton();
      expect(button.disabled).toBe(true);
      const note = document.getElementById(button.getAttribute('aria-describedby') ?? '');
      expect(note?.textContent).toBe(`${PERMISSION_REASONS.deleteWorkspace} You are a${role === 'admin' ? 'n admin' : ' member'} of this workspace.`);
      expect((await section()).getByTestId('permission-note')).toBe(note);
      await user.click(button);
      expect(screen.queryByRole('alertdialog')).toBeNull();
    });
  }
});
