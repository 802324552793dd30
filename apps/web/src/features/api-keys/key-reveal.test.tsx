import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { KeyReveal } from './key-reveal.js';

const KEY = 'pc_live_4bT9xQ2mZr7LpW1sKd8VnY3cHa0f1a2b';

describe('KeyReveal (show-once panel)', () => {
  it('shows the full key in a read-only field', () => {
    render(<KeyReveal apiKey={KEY} origin="https://pc.example.com" />);
    const input = screen.getByLabelText('Your new API key') as HTMLInputElement;
    expect(input.value).toBe(KEY);
    expect(input.readOnly).toBe(true);
  });

  it('warns plainly that the key will not be shown again', () => {
    render(<KeyReveal apiKey={KEY} />);
    expect(screen.getByTestId('key-reveal-warning').textContent).toContain('It will not be shown again.');
  });

  it('copies the key to the clipboard', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<KeyReveal apiKey={KEY} />);
    await user.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(writeText).toHaveBeenCalledWith(KEY);
    expect(await screen.findByRole('button', { name: 'Copied' })).toBeTruthy();
  });

  it('says so when the clipboard is refused', async () => {
    const user = userEvent.setup();
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn().mockRejectedValue(new Error('denied')) }, configurable: true });
    render(<KeyReveal apiKey={KEY} />);
    await user.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(await screen.findByRole('button', { name: /Copy failed/ })).toBeTruthy();
  });
});
