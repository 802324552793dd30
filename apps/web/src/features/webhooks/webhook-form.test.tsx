import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { WebhookForm } from './webhook-form.js';

function setup(props: Partial<Parameters<typeof WebhookForm>[0]> = {}) {
  const onSubmit = vi.fn();
  const user = userEvent.setup();
  const view = render(<WebhookForm submitLabel="Add webhook" onSubmit={onSubmit} onCancel={() => {}} {...props} />);
  return { onSubmit, user, view, url: screen.getByLabelText('Endpoint URL'), submit: screen.getByRole('button', { name: 'Add webhook' }) };
}

describe('WebhookForm and its events picker', () => {
  it('subscribes to all events by default, and sends the URL as the server will store it', async () => {
    const { user, url, submit, onSubmit } = setup();
    await user.type(url, '  https://Hooks.Example.com/pc  ');
    await user.click(submit);
    expect(onSubmit).toHaveBeenCalledWith({ url: 'https://hooks.example.com/pc', events: ['*'], description: null });
  });

  it('offers every subscribable type, grouped, but not webhook.test', () => {
    setup();
    const keys = screen.getByRole('group', { name: 'API keys' });
    const agents = screen.getByRole('group', { name: 'Agents' });
    expect(keys.querySelectorAll('input[type="checkbox"]')).toHaveLength(6);
    expect(agents.querySelectorAll('input[type="checkbox"]')).toHaveLength(4);
    expect(screen.queryByText('webhook.test')).toBeNull();
    // With "All events" ticked, every type reads as chosen and cannot be unticked alone.
    const online = screen.getByRole('checkbox', { name: /agent\.online/ }) as HTMLInputElement;
    expect(online.checked).toBe(true);
    expect(online.disabled).toBe(true);
  });

  it('sends only the types picked once "All events" is unticked', async () => {
    const { user, url, submit, onSubmit } = setup();
    await user.type(url, 'https://example.com/hook');
    await user.click(screen.getByRole('checkbox', { name: /All events/ }));
    await user.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText('Pick at least one event, or “All events”.')).toBeTruthy();

    await user.click(screen.getByRole('checkbox', { name: /agent\.online/ }));
    await user.click(screen.getByRole('checkbox', { name: /agent\.offline/ }));
    await user.click(screen.getByRole('checkbox', { name: /api_key\.revoked/ }));
    await user.click(screen.getByRole('checkbox', { name: /agent\.online/ }));
    await user.click(submit);
    expect(onSubmit).toHaveBeenCalledWith({ url: 'https://example.com/hook', events: ['agent.offline', 'api_key.revoked'], description: null });
  });

  it('gives back the earlier choice when "All events" is ticked and unticked again', async () => {
    const { user } = setup({ initial: { url: 'https://example.com/h', events: ['api_key.rolled'], description: null } });
    const all = screen.getByRole('checkbox', { name: /All events/ });
    await user.click(all);
    await user.click(all);
    expect((screen.getByRole('checkbox', { name: /api_key\.rolled/ }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByRole('checkbox', { name: /api_key\.created/ }) as HTMLInputElement).checked).toBe(false);
  });

  it.each([
    ['', 'Endpoint URL is required.'],
    ['example.com/hook', 'url must be an absolute URL, e.g. https://example.com/webhooks.'],
    ['ftp://example.com/hook', 'url must be an https URL.'],
    ['https://user:pw@example.com/hook', 'url must not carry a user name or password; authenticate the delivery by its signature.'],
  ])('refuses the URL %j before any request', async (value, message) => {
    const { user, url, submit, onSubmit } = setup();
    if (value) await user.type(url, value);
    await user.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(message)).toBeTruthy();
  });

  it('shows what the server said about the URL until it is edited', async () => {
    const { user, url } = setup({ urlError: 'The host resolves to 10.0.0.5, a private address; webhooks go to public addresses only.' });
    expect(screen.getByRole('alert').textContent).toContain('private address');
    await user.type(url, 'https://example.com/x');
    expect(screen.queryByText(/private address/)).toBeNull();
  });

  it('keeps a description, trimmed', async () => {
    const { user, url, submit, onSubmit } = setup();
    await user.type(url, 'https://example.com/hook');
    await user.type(screen.getByLabelText('Description (optional)'), '  Slack alerts ');
    await user.click(submit);
    expect(onSubmit).toHaveBeenCalledWith({ url: 'https://example.com/hook', events: ['*'], description: 'Slack alerts' });
  });
});
