import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmDialog } from './confirm-dialog.js';

const props = (over: Partial<Parameters<typeof ConfirmDialog>[0]> = {}) => ({
  title: 'Sign out everywhere?',
  description: <p>Every session ends.</p>,
  confirmLabel: 'Sign out everywhere',
  busy: false,
  onConfirm: vi.fn(),
  onClose: vi.fn(),
  ...over,
});

describe('ConfirmDialog', () => {
  it('opens with Cancel focused, so Enter does not do the irreversible thing', async () => {
    const user = userEvent.setup();
    const p = props();
    render(<ConfirmDialog {...p} />);
    const dialog = screen.getByRole('alertdialog', { name: 'Sign out everywhere?' });
    expect(dialog.textContent).toContain('Every session ends.');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Cancel' }));
    await user.keyboard('{Enter}');
    expect(p.onClose).toHaveBeenCalledTimes(1);
    expect(p.onConfirm).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Sign out everywhere' }));
    expect(p.onConfirm).toHaveBeenCalledTimes(1);
  });

  it('while busy, neither Cancel nor Escape closes it', async () => {
    const user = userEvent.setup();
    const p = props({ busy: true });
    render(<ConfirmDialog {...p} />);
    expect(screen.getByRole('button', { name: 'Cancel' }).hasAttribute('disabled')).toBe(true);
    await user.keyboard('{Escape}');
    expect(p.onClose).not.toHaveBeenCalled();
  });

  it('shows the server’s refusal inside the dialog when given one, and nothing when not', () => {
    const { rerender } = render(<ConfirmDialog {...props()} />);
    expect(screen.queryByRole('alert')).toBeNull();
    rerender(<ConfirmDialog {...props({ error: new Error('A workspace keeps at least one owner.') })} />);
    expect(screen.getByRole('alert').textContent).toBe('A workspace keeps at least one owner.');
  });
});
