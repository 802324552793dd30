import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { getQueryKey } from '@trpc/react-query';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trpc } from '../../lib/trpc.js';
import { renderWithTrpc } from '../../test-utils.js';
import { ME } from '../members/team-fixtures.js';
import { AppShell } from './app-shell.js';

const T0 = '2026-03-01T12:00:00.000Z';
const WORKSPACES = {
  ws_acme: { id: 'ws_acme', name: 'acme', role: 'owner' },
  ws_beta: { id: 'ws_beta', name: 'beta', role: 'member' },
} as const;
type WsId = keyof typeof WORKSPACES;

/** A page of the current workspace, to see what the cache shows after a switch. */
function KeysProbe() {
  const keys = trpc.apiKeys.list.useQuery({ includeRevoked: false });
  return <p data-testid="probe">{keys.data ? keys.data.map((k) => k.name).join(',') : 'loading'}</p>;
}

/** A fake server whose session sits in one workspace until switchWorkspace moves it. */
function renderShell(memberships: WsId[]) {
  let current: WsId = 'ws_acme';
  const me = () => ({ user: ME, workspace: { id: current, name: WORKSPACES[current].name, createdAt: T0 }, role: WORKSPACES[current].role });
  const view = renderWithTrpc(
    <AppShell>
      <KeysProbe />
    </AppShell>,
    {
      'auth.session': () => ({ data: { signedIn: true, ...me() } }),
      'auth.workspaces': () => ({ data: memberships.map((id) => ({ ...WORKSPACES[id], current: id === current })) }),
      'auth.switchWorkspace': (input) => {
        current = (input as { workspaceId: WsId }).workspaceId;
        return { data: me() };
      },
      'apiKeys.list': () => ({ data: [{ id: `key_${current}`, name: `${WORKSPACES[current].name}-key`, prefix: 'pc_live_Ab3d', lastUsedAt: null, createdAt: T0, isActive: true, expiresAt: null, allowedIpRangeCount: 0, rolledToId: null, revokedAt: null }] }),
    },
  );
  /** What another tab's switch does to the session this one shares. */
  const switchedElsewhere = (id: WsId) => (current = id);
  return { ...view, switchedElsewhere };
}

describe('workspace switcher', () => {
  beforeEach(() => window.history.replaceState(null, '', '/members'));
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('shows the current workspace and my role, lists my workspaces with my role in each, and marks the current one', async () => {
    const user = userEvent.setup();
    renderShell(['ws_acme', 'ws_beta']);
    const button = await screen.findByTestId('account-menu');
    expect(button.textContent).toContain('acme');
    expect(button.textContent).toContain('Owner');
    await user.click(button);
    expect(screen.getByTestId('account-role').textContent).toBe('Owner');
    const switcher = await screen.findByTestId('workspace-switcher');
    const current = within(switcher).getByTestId('workspace-current');
    expect(current.getAttribute('aria-current')).toBe('true');
    expect(current.textContent).toBe('acmeOwner(current)');
    expect(within(switcher).getByRole('button', { name: 'beta Member' })).toBeTruthy();
  });

  it('switching moves the session, drops what was cached of the old workspace and opens its keys', async () => {
    const user = userEvent.setup();
    const { requests } = renderShell(['ws_acme', 'ws_beta']);
    expect((await screen.findByText('acme-key')).textContent).toBe('acme-key');
    await user.click(screen.getByTestId('account-menu'));
    await user.click(await screen.findByRole('button', { name: 'beta Member' }));

    await waitFor(() => expect(window.location.pathname).toBe('/keys'));
    expect(requests.filter((r) => r.path === 'auth.switchWorkspace').map((r) => r.input)).toEqual([{ workspaceId: 'ws_beta' }]);
    expect(await screen.findByText('beta-key')).toBeTruthy();
    expect(screen.queryByText('acme-key')).toBeNull();
    expect(screen.getByTestId('account-menu').textContent).toContain('beta');
    expect(screen.getByTestId('account-menu').textContent).toContain('Member');
    // The menu closed and focus went back to its button.
    expect(screen.queryByTestId('workspace-switcher')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('account-menu'));
    expect((await screen.findByTestId('toast')).textContent).toContain('Switched to beta.');
  });

  it('a switch made in another tab (the session is shared) also starts the cache over', async () => {
    const { queryClient, switchedElsewhere } = renderShell(['ws_acme', 'ws_beta']);
    await screen.findByText('acme-key');
    switchedElsewhere('ws_beta');
    // This tab learns it from its next session probe (on focus); only that query is asked again.
    await queryClient.invalidateQueries({ queryKey: getQueryKey(trpc.auth.session) });
    expect(await screen.findByText('beta-key')).toBeTruthy();
    expect(window.location.pathname).toBe('/keys');
  });

  it('with one workspace there is nothing to switch to', async () => {
    const user = userEvent.setup();
    const { calls } = renderShell(['ws_acme']);
    await user.click(await screen.findByTestId('account-menu'));
    await waitFor(() => expect(calls).toContain('auth.workspaces'));
    expect(screen.queryByTestId('workspace-switcher')).toBeNull();
  });
});
