import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeProcedure } from '../../test-utils.js';
import { renderWithTrpc } from '../../test-utils.js';
import { SECRET, deliveryFixture, webhookFixture } from './webhook-fixtures.js';
import WebhookDetailPage from './webhook-detail-page.js';

const page = (data: unknown[], nextCursor: string | null = null) => ({ data: { data, nextCursor } });
const empty = { data: { data: [], nextCursor: null } };

function renderPage(answers: Record<string, FakeProcedure>) {
  return renderWithTrpc(<WebhookDetailPage id="whk_1" />, {
    'webhooks.get': { data: webhookFixture() },
    'webhooks.deliveries': empty,
    'webhooks.list': { data: [] },
    'auditLogs.list': empty,
    ...answers,
  });
}
const inputsOf = (requests: { path: string; input: unknown }[], path: string) => requests.filter((r) => r.path === path).map((r) => r.input);

describe('WebhookDetailPage', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('shows the delivery log: status, attempts, answer, duration and error of each delivery', async () => {
    renderPage({
      'webhooks.deliveries': page([
        deliveryFixture('d1'),
        deliveryFixture('d2', { eventType: 'agent.offline', status: 'pending', attempt: 2, responseStatus: 503, durationMs: 840, error: 'HTTP 503', nextAttemptAt: new Date(Date.now() + 30 * 60_000).toISOString() }),
        deliveryFixture('d3', { eventType: 'api_key.revoked', status: 'failed', attempt: 8, responseStatus: null, durationMs: 10_000, error: 'connect ECONNREFUSED 203.0.113.9:443' }),
      ]),
    });
    const rows = await screen.findAllByTestId('delivery-row');
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['succeeded', 'pending', 'failed']);
    const [ok, retrying, failed] = rows.map((r) => within(r));
    expect(ok!.getByText('Succeeded')).toBeTruthy();
    expect(ok!.getByText('204')).toBeTruthy();
    expect(ok!.getByText('12 ms')).toBeTruthy();
    expect(retrying!.getByText('Retrying')).toBeTruthy();
    expect(retrying!.getByText('in 30 minutes')).toBeTruthy();
    expect(retrying!.getByText('HTTP 503')).toBeTruthy();
    expect(failed!.getByText('Failed')).toBeTruthy();
    expect(failed!.getByText('connect ECONNREFUSED 203.0.113.9:443')).toBeTruthy();
    expect(screen.getByTestId('deliveries-end').textContent).toContain('3 deliveries');
  });

  it('redelivers one delivery, and loads older ones with the cursor', async () => {
    const user = userEvent.setup();
    const { requests } = renderPage({
      'webhooks.deliveries': (input) => ((input as { cursor?: string }).cursor === 'older' ? page([deliveryFixture('d2')]) : page([deliveryFixture('d1')], 'older')),
      'webhooks.redeliver': { data: deliveryFixture('d9', { status: 'pending', attempt: 0 }) },
    });
    const row = await screen.findByTestId('delivery-row');
    await user.click(within(row).getByRole('button', { name: /^Redeliver webhook\.test/ }));
    await waitFor(() => expect(inputsOf(requests, 'webhooks.redeliver')).toEqual([{ id: 'whk_1', deliveryId: 'd1' }]));
    expect((await screen.findByTestId('toast')).textContent).toContain('same webhook-id');

    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('delivery-row')).toHaveLength(2));
    expect(inputsOf(requests, 'webhooks.deliveries')).toContainEqual(expect.objectContaining({ id: 'whk_1', cursor: 'older' }));
  });

  it('sends a test event, then reloads the log', async () => {
    const user = userEvent.setup();
    const { requests } = renderPage({ 'webhooks.test': { data: deliveryFixture('d1', { status: 'pending', attempt: 0 }) } });
    await screen.findByText('No deliveries yet');
    const before = inputsOf(requests, 'webhooks.deliveries').length;
    await user.click(screen.getByRole('button', { name: 'Send test event' }));
    await waitFor(() => expect(inputsOf(requests, 'webhooks.test')).toEqual([{ id: 'whk_1' }]));
    await waitFor(() => expect(inputsOf(requests, 'webhooks.deliveries').length).toBeGreaterThan(before));
  });

  it('disables and enables with the switch', async () => {
    const user = userEvent.setup();
    const { requests } = renderPage({
      'webhooks.update': (input) => ({ data: webhookFixture({ enabled: (input as { enabled: boolean }).enabled, disabledReason: 'manual' }) }),
    });
    const toggle = (await screen.findByRole('switch', { name: 'Deliver events to this endpoint' })) as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    await user.click(toggle);
    await waitFor(() => expect(toggle.checked).toBe(false));
    expect(inputsOf(requests, 'webhooks.update')).toEqual([{ id: 'whk_1', enabled: false }]);
    expect(screen.getByText('Disabled')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Send test event' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('puts the switch back when the change fails', async () => {
    const user = userEvent.setup();
    renderPage({ 'webhooks.update': { error: { appCode: 'internal_error', httpStatus: 500, message: 'Something went wrong.' } } });
    const toggle = (await screen.findByRole('switch', { name: 'Deliver events to this endpoint' })) as HTMLInputElement;
    await user.click(toggle);
    expect((await screen.findByTestId('toast')).textContent).toContain('Something went wrong.');
    await waitFor(() => expect(toggle.checked).toBe(true));
  });

  it.each([
    ['gone', 'The receiver answered 410 Gone'],
    ['failing', 'Every delivery failed for 3 days'],
  ] as const)('explains a webhook the server disabled (%s), and offers no test or redelivery until it is enabled', async (reason, text) => {
    renderPage({
      'webhooks.get': { data: webhookFixture({ enabled: false, disabledReason: reason, failingSince: '2026-02-26T12:00:00.000Z' }) },
      'webhooks.deliveries': page([deliveryFixture('d1', { status: 'failed', responseStatus: 410 })]),
    });
    expect((await screen.findByTestId('webhook-health')).textContent).toContain(text);
    expect((screen.getByRole('button', { name: 'Send test event' }) as HTMLButtonElement).disabled).toBe(true);
    const row = await screen.findByTestId('delivery-row');
    expect((within(row).getByRole('button', { name: /^Redeliver/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('rotates the secret with an overlap in seconds, and shows the new secret once', async () => {
    const user = userEvent.setup();
    const until = new Date(Date.now() + 3600_000).toISOString();
    const { requests } = renderPage({ 'webhooks.rotateSecret': { data: { ...webhookFixture({ previousSecretExpiresAt: until }), secret: SECRET } } });
    await user.click(await screen.findByRole('button', { name: 'Rotate secret' }));
    const field = screen.getByLabelText('Keep signing with the old secret for (seconds)') as HTMLInputElement;
    expect(field.value).toBe('86400');
    expect(screen.getByText(/The old secret signs too for 24 hours/)).toBeTruthy();

    await user.clear(field);
    await user.type(field, '700000');
    expect(screen.getByText('overlapSeconds must be at most 604800 (7 days).')).toBeTruthy();
    expect((within(screen.getByTestId('rotate-dialog')).getByRole('button', { name: 'Rotate secret' }) as HTMLButtonElement).disabled).toBe(true);

    await user.clear(field);
    await user.type(field, '3600');
    await user.click(within(screen.getByTestId('rotate-dialog')).getByRole('button', { name: 'Rotate secret' }));
    expect(((await screen.findByTestId('webhook-secret')) as HTMLInputElement).value).toBe(SECRET);
    expect(screen.getByTestId('previous-secret-remaining').textContent).toContain('signature with the old secret');
    expect(inputsOf(requests, 'webhooks.rotateSecret')).toEqual([{ id: 'whk_1', overlapSeconds: 3600 }]);

    await user.click(screen.getByRole('button', { name: /I’ve copied it/ }));
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    expect(screen.getByTestId('previous-secret-notice').textContent).toContain('also signed with the old secret');
  });

  it('edits sending only what changed', async () => {
    const user = userEvent.setup();
    const { requests } = renderPage({ 'webhooks.update': { data: webhookFixture({ events: ['agent.online'] }) } });
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    await user.click(screen.getByRole('checkbox', { name: /All events/ }));
    await user.click(screen.getByRole('checkbox', { name: /agent\.online/ }));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(inputsOf(requests, 'webhooks.update')).toEqual([{ id: 'whk_1', events: ['agent.online'] }]));
    await waitFor(() => expect(screen.queryByTestId('edit-webhook-dialog')).toBeNull());
    expect(screen.getByTestId('webhook-events').textContent).toBe('agent.online');
  });

  it('deletes after a confirmation, then goes back to the list', async () => {
    const user = userEvent.setup();
    const { requests } = renderPage({ 'webhooks.delete': { data: { success: true } } });
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this webhook?' });
    expect(dialog.textContent).toContain('https://hooks.example.com/pc');
    await user.click(within(dialog).getByRole('button', { name: 'Delete webhook' }));
    await waitFor(() => expect(window.location.pathname).toBe('/webhooks'));
    expect(inputsOf(requests, 'webhooks.delete')).toEqual([{ id: 'whk_1' }]);
  });

  it('says so for a webhook that does not exist', async () => {
    renderPage({ 'webhooks.get': { error: { appCode: 'not_found', httpStatus: 404, message: 'Webhook not found.' } } });
    expect(await screen.findByText('No such webhook')).toBeTruthy();
  });
});
