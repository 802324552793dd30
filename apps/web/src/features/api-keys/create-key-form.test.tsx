import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { CreateKeyForm, expiryToIso } from './create-key-form.js';

const DAY = 86_400_000;

function setup(nameError: string | null = null) {
  const onSubmit = vi.fn();
  const user = userEvent.setup();
  const view = render(<CreateKeyForm onSubmit={onSubmit} onCancel={() => {}} nameError={nameError} />);
  return { onSubmit, user, view, name: screen.getByLabelText('Name'), submit: screen.getByRole('button', { name: 'Create key' }) };
}

describe('CreateKeyForm', () => {
  it('requires a name', async () => {
    const { user, submit, onSubmit } = setup();
    await user.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText('Name is required.')).toBeTruthy();
  });

  it('treats a name of spaces as empty, as the server does', async () => {
    const { user, name, submit, onSubmit } = setup();
    await user.type(name, '    ');
    await user.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText('Name is required.')).toBeTruthy();
  });

  it('refuses a name over 50 characters', async () => {
    const { user, name, submit, onSubmit } = setup();
    await user.type(name, 'k'.repeat(51));
    await user.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText('Name must be at most 50 characters.')).toBeTruthy();
  });

  it('submits a trimmed name and no expiry by default', async () => {
    const { user, name, submit, onSubmit } = setup();
    await user.type(name, '  ci-deploy ');
    await user.click(submit);
    expect(onSubmit).toHaveBeenCalledWith({ name: 'ci-deploy' });
  });

  it('submits an expiry 30 days ahead when chosen', async () => {
    const { user, name, submit, onSubmit } = setup();
    await user.type(name, 'ci');
    await user.selectOptions(screen.getByLabelText('Expires'), '30');
    await user.click(submit);
    const { expiresAt } = onSubmit.mock.calls[0]![0] as { expiresAt: string };
    expect(Math.abs(new Date(expiresAt).getTime() - (Date.now() + 30 * DAY))).toBeLessThan(60_000);
  });

  it('shows the server’s name error (e.g. name taken)', () => {
    setup('An active key already has this name. Pick another, or roll that key instead.');
    expect(screen.getByText(/already has this name/)).toBeTruthy();
  });
});

describe('expiryToIso', () => {
  const now = new Date(2026, 0, 10, 12, 0, 0).getTime();
  it('keeps a year’s expiry inside the server’s 365-day limit', () => {
    const iso = expiryToIso('365', '', now)!;
    expect(new Date(iso).getTime()).toBeLessThan(now + 365 * DAY);
  });
  it('refuses a custom date in the past or beyond a year', () => {
    expect(expiryToIso('custom', '2026-01-09', now)).toBeNull();
    expect(expiryToIso('custom', '2027-03-01', now)).toBeNull();
    expect(expiryToIso('custom', 'garbage', now)).toBeNull();
  });
  it('ends a custom date at the end of that local day', () => {
    const iso = expiryToIso('custom', '2026-02-01', now)!;
    expect(new Date(iso).getTime()).toBe(new Date(2026, 1, 1, 23, 59, 59).getTime());
  });
});
