import { PERMISSION_REASONS, type Permission, type Role } from '@pc/contract';
import { screen, waitFor, within } from '@testing-library/react';
import type { ReactElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import AgentsPage from '../agents/agents-page.js';
import ApiKeyDetailPage from '../api-keys/api-key-detail-page.js';
import { apiKeyDetailFixture, apiKeyListItemFixture } from '../api-keys/api-key-fixtures.js';
import { ApiKeysPage } from '../api-keys/api-keys-page.js';
import AuditLogPage from '../audit/audit-log-page.js';
import WebhookDetailPage from '../webhooks/webhook-detail-page.js';
import { deliveryFixture, webhookFixture } from '../webhooks/webhook-fixtures.js';
import WebhooksPage from '../webhooks/webhooks-page.js';
import { AppShell } from '../shell/app-shell.js';
import { sessionAs } from './team-fixtures.js';

const T0 = '2026-03-01T12:00:00.000Z';
const page = (data: unknown[]) => ({ data: { data, nextCursor: null } });
const AGENT = { id: 'agt_1', name: 'office-gw', label: null, createdAt: T0, lastSeenAt: null, lastSeenIp: null, version: null, status: 'offline' };

/** Inside the shell, as in the app: pages render once the session (and so the role) is known. */
function renderAs(role: Role, ui: ReactElement) {
  return renderWithTrpc(<AppShell>{ui}</AppShell>, {
    ...sessionAs(role),
    'apiKeys.list': { data: [apiKeyListItemFixture()] },
    'apiKeys.get': { data: apiKeyDetailFixture() },
    'apiKeys.usage': { data: { granularity: 'hour', from: T0, to: T0, data: [] } },
    'agents.list': page([AGENT]),
    'webhooks.list': { data: [webhookFixture()] },
    'webhooks.get': { data: webhookFixture() },
    'webhooks.deliveries': page([deliveryFixture('d1')]),
    'auditLogs.list': page([]),
    config: { data: { mailConfigured: true, publicUrl: 'http://localhost:3000', signup: { open: true, emailDomains: [] }, agentOfflineAfterSeconds: 90 } },
  });
}

const button = async (name: string | RegExp) => (await screen.findByRole('button', { name })) as HTMLButtonElement;
/** A control is disabled, and the visible text it points at (aria-describedby) gives the contract's reason. */
function expectDisabledBecause(el: HTMLElement, what: Permission) {
  expect((el as HTMLButtonElement | HTMLInputElement).disabled).toBe(true);
  const note = document.getElementById(el.getAttribute('aria-describedby') ?? '');
  expect(note?.textContent).toContain(PERMISSION_REASONS[what]);
  expect(note?.checkVisibility?.() ?? true).toBe(true);
}

describe('what a member may not do is disabled, with the reason beside it', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('API keys: create', async () => {
    renderAs('member', <ApiKeysPage />);
    await screen.findByTestId('api-key-row');
    expectDisabledBecause(await button('Create API key'), 'manageApiKeys');
  });

  it('an API key: roll, revoke and the IP ranges', async () => {
    renderAs('member', <ApiKeyDetailPage id="key_old" />);
    expectDisabledBecause(await button('Roll key'), 'manageApiKeys');
    expectDisabledBecause(await button('Revoke key'), 'manageApiKeys');
    expect((await button('Add range')).disabled).toBe(true);
    // The ranges are further down the page: their own note says it there too.
    expect(screen.getAllByTestId('permission-note')).toHaveLength(2);
  });

  it('agents: register and delete', async () => {
    renderAs('member', <AgentsPage />);
    await screen.findByTestId('agent-row');
    expectDisabledBecause(await button('Register agent'), 'manageAgents');
    expectDisabledBecause(await button('Delete agent office-gw'), 'manageAgents');
  });

  it('webhooks: add, and on a webhook test, edit, rotate, delete, enable and redeliver', async () => {
    const { unmount } = renderAs('member', <WebhooksPage />);
    await screen.findByTestId('webhook-row');
    expectDisabledBecause(await button('Add webhook'), 'manageWebhooks');
    unmount();

    renderAs('member', <WebhookDetailPage id="whk_1" />);
    for (const name of ['Send test event', 'Edit', 'Rotate secret', 'Delete']) expectDisabledBecause(await button(name), 'manageWebhooks');
    expectDisabledBecause(await screen.findByRole('switch', { name: 'Deliver events to this endpoint' }), 'manageWebhooks');
    const row = await screen.findByTestId('delivery-row');
    expectDisabledBecause(within(row).getByRole('button', { name: /^Redeliver/ }), 'manageWebhooks');
  });

  it('the audit log: the reason instead of a 403, and no request for it', async () => {
    const { calls } = renderAs('member', <AuditLogPage />);
    expect((await screen.findByTestId('permission-note')).textContent).toContain(PERMISSION_REASONS.readAuditLog);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).not.toContain('auditLogs.list');
    expect(document.querySelector('.error-state')).toBeNull();
  });
});

describe('an admin may do all of it', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it.each([
    ['API keys', <ApiKeysPage />, ['Create API key']],
    ['an API key', <ApiKeyDetailPage id="key_old" />, ['Roll key', 'Revoke key', 'Add range']],
    ['agents', <AgentsPage />, ['Register agent', 'Delete agent office-gw']],
    ['webhooks', <WebhooksPage />, ['Add webhook']],
    ['a webhook', <WebhookDetailPage id="whk_1" />, ['Send test event', 'Edit', 'Rotate secret', 'Delete', /^Redeliver/]],
  ] as const)('%s: every action enabled, no note', async (_name, ui, names) => {
    renderAs('admin', ui);
    for (const name of names) {
      const el = await button(name);
      await waitFor(() => expect(el.disabled).toBe(false));
      expect(el.getAttribute('aria-describedby')).toBeNull();
    }
    expect(screen.queryByTestId('permission-note')).toBeNull();
  });

  it('the audit log is read', async () => {
    const { calls } = renderAs('admin', <AuditLogPage />);
    expect(await screen.findByText('Nothing recorded yet')).toBeTruthy();
    expect(calls).toContain('auditLogs.list');
    expect(screen.queryByTestId('permission-note')).toBeNull();
  });
});
