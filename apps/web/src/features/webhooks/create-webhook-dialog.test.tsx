import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import { CreateWebhookDialog } from './create-webhook-dialog.js';
import { SECRET, webhookFixture } from './webhook-fixtures.js';

async function fillAndSubmit(user: ReturnType<typeof userEvent.setup>, url: string) {
  await user.type(screen.getByLabelText('Endpoint URL'), url);
  await user.click(screen.getByRole('button', { name: 'Add webhook' }));
}

describe('CreateWebhookDialog', () => {
  it('shows the signing secret once, with a copy button and how to verify deliveries', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { requests } = renderWithTrpc(<CreateWebhookDialog onClose={() => {}} />, {
      'webhooks.create': { data: { ...webhookFixture(), secret: SECRET } },
      'webhooks.list': { data: [] },
      'auditLogs.list': { data: { data: [], nextCursor: null } },
    });
    await fillAndSubmit(user, 'https://hooks.example.com/pc');

    const secret = (await screen.findByTestId('webhook-secret')) as HTMLInputElement;
    expect(secret.value).toBe(SECRET);
    expect(secret.readOnly).toBe(true);
    expect(screen.getByTestId('secret-reveal-warning').textContent).toContain('It will not be shown again.');
    expect(screen.getByTestId('secret-reveal').textContent).toContain('Standard Webhooks');
    expect(screen.getByTestId('secret-reveal').textContent).toContain('webhook-signature');
    await user.click(screen.getByRole('button', { name: 'Copy secret' }));
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(requests.find((r) => r.path === 'webhooks.create')?.input).toEqual({ url: 'https://hooks.example.com/pc', events: ['*'], description: null });
  });

  it('puts the server’s word on the URL field when it refuses the address', async () => {
    const user = userEvent.setup();
    const message = 'The host resolves to 127.0.0.1, a loopback address; webhooks go to public addresses only.';
    renderWithTrpc(<CreateWebhookDialog onClose={() => {}} />, {
      'webhooks.create': { error: { appCode: 'invalid_request', httpStatus: 400, message: `url: ${message}`, details: [{ path: 'url', message }] } },
    });
    await fillAndSubmit(user, 'https://localhost/hook');
    const url = screen.getByLabelText('Endpoint URL');
    expect((await screen.findByText(message)).id).toBe(url.getAttribute('aria-describedby')?.split(' ').pop());
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('secret-reveal')).toBeNull();
  });

  it('says when the workspace has as many webhooks as it may', async () => {
    const user = userEvent.setup();
    renderWithTrpc(<CreateWebhookDialog onClose={() => {}} />, {
      'webhooks.create': { error: { appCode: 'webhook_limit_reached', httpStatus: 409, message: 'A workspace has at most 20 webhooks; delete one first.' } },
    });
    await fillAndSubmit(user, 'https://hooks.example.com/pc');
    expect((await screen.findByTestId('toast')).textContent).toContain('at most 20 webhooks');
  });
});
