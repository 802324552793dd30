import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import AgentsPage from './agents-page.js';

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const agent = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  name: id,
  label: null,
  createdAt: ago(86_400_000),
  lastSeenAt: null,
  lastSeenIp: null,
  version: null,
  status: 'offline',
  ...over,
});
const ONLINE = agent('office-gateway', { status: 'online', lastSeenAt: ago(5_000), lastSeenIp: '203.0.113.7', version: '1.4.2' });
const OFFLINE = agent('ci-runner', { lastSeenAt: ago(3 * 3_600_000), lastSeenIp: '198.51.100.2' });
const NEVER = agent('new-box');
const config = { config: { data: { mailConfigured: true, publicUrl: 'https://pc.example.com', signup: { open: true, emailDomains: [] }, agentOfflineAfterSeconds: 45 } } };

type ListInput = { status?: string; cursor?: string } | undefined;

describe('AgentsPage', () => {
  it('says online or offline in words, with when, from where and which version', async () => {
    renderWithTrpc(<AgentsPage />, { 'agents.list': { data: { data: [ONLINE, OFFLINE, NEVER], nextCursor: null } } });
    const rows = await screen.findAllByTestId('agent-row');
    expect(rows).toHaveLength(3);
    const [online, offline, never] = rows.map((r) => within(r));
    expect(online!.getByText('Online')).toBeTruthy();
    expect(online!.getByText('just now')).toBeTruthy();
    expect(online!.getByText('203.0.113.7')).toBeTruthy();
    expect(online!.getByText('1.4.2')).toBeTruthy();
    expect(offline!.getByText('Offline')).toBeTruthy();
    expect(offline!.getByText('3 hours ago')).toBeTruthy();
    expect(never!.getByText('Offline')).toBeTruthy();
    expect(within(never!.getByTestId('agent-last-seen')).getByText('Never')).toBeTruthy();
  });

  it("states the server's offline threshold", async () => {
    renderWithTrpc(<AgentsPage />, { ...config, 'agents.list': { data: { data: [ONLINE], nextCursor: null } } });
    expect(await screen.findByText(/shows as offline 45 seconds after the last one/)).toBeTruthy();
  });

  it('filters by status through the API, and says when nothing matches', async () => {
    const user = userEvent.setup();
    const { requests } = renderWithTrpc(<AgentsPage />, {
      'agents.list': (input) => {
        const status = (input as ListInput)?.status;
        const data = status === 'online' ? [ONLINE] : status === 'offline' ? [] : [ONLINE, OFFLINE];
        return { data: { data, nextCursor: null } };
      },
    });
    expect(await screen.findAllByTestId('agent-row')).toHaveLength(2);

    await user.click(screen.getByLabelText('Online'));
    await waitFor(() => expect(screen.getAllByTestId('agent-row')).toHaveLength(1));
    expect(screen.getByTestId('agent-row').textContent).toContain('office-gateway');

    await user.click(screen.getByLabelText('Offline'));
    expect(await screen.findByText('No agent is offline')).toBeTruthy();
    const statuses = requests.filter((r) => r.path === 'agents.list').map((r) => (r.input as ListInput)?.status);
    expect(statuses).toEqual([undefined, 'online', 'offline']);
  });

  it('loads the next page with the cursor it was given', async () => {
    const user = userEvent.setup();
    renderWithTrpc(<AgentsPage />, {
      'agents.list': (input) =>
        (input as ListInput)?.cursor === 'c2' ? { data: { data: [OFFLINE], nextCursor: null } } : { data: { data: [ONLINE], nextCursor: 'c2' } },
    });
    await screen.findByTestId('agent-row');
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('agent-row')).toHaveLength(2));
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('with no agents, shows how to run the reference agent against this server', async () => {
    renderWithTrpc(<AgentsPage />, { ...config, 'agents.list': { data: { data: [], nextCursor: null } } });
    await screen.findByText('No agents yet');
    const command = await screen.findByTestId('run-agent-command');
    await waitFor(() =>
      expect(command.textContent).toContain(
        'PRIVATE_CONNECT_URL=https://pc.example.com PRIVATE_CONNECT_API_KEY=<a key> npx private-connect agent --name <name>',
      ),
    );
    expect(screen.queryByText(/connector/)).toBeNull();
  });
});
