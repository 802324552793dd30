import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { IpRangeEditor } from './ip-range-editor.js';

function setup(stored: string[] = [], serverDetails: { path: string; message: string }[] = []) {
  const onSave = vi.fn();
  const user = userEvent.setup();
  const view = render(<IpRangeEditor stored={stored} onSave={onSave} serverDetails={serverDetails} />);
  return { onSave, user, view, save: () => screen.getByRole('button', { name: 'Save ranges' }) as HTMLButtonElement };
}

describe('IpRangeEditor', () => {
  it('explains that an empty list allows every address', () => {
    setup([]);
    expect(screen.getByText('Any IP address can use this key.')).toBeTruthy();
  });

  it('lists the stored ranges', () => {
    setup(['10.0.0.0/8', '2001:db8::/32']);
    expect(screen.getByTestId('stored-ranges').textContent).toContain('10.0.0.0/8');
    expect(screen.getByTestId('stored-ranges').textContent).toContain('2001:db8::/32');
    expect((screen.getByLabelText('IP range 2') as HTMLInputElement).value).toBe('2001:db8::/32');
  });

  it('shows the error for a bad entry with its position, and will not save', async () => {
    const { user, onSave, save } = setup(['10.0.0.0/8']);
    await user.click(screen.getByRole('button', { name: 'Add range' }));
    const input = screen.getByLabelText('IP range 2');
    expect(document.activeElement).toBe(input);
    await user.type(input, '10.0.0.300/8');
    const error = screen.getByTestId('ip-range-error');
    expect(error.textContent).toMatch(/^Entry 2: "10\.0\.0\.300\/8" is not an IPv4 or IPv6 address or CIDR range/);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(save().disabled).toBe(true);
    await user.click(save());
    expect(onSave).not.toHaveBeenCalled();
  });

  it('refuses a prefix longer than the family allows', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('button', { name: 'Add range' }));
    await user.type(screen.getByLabelText('IP range 1'), '192.168.1.0/33');
    expect(screen.getByTestId('ip-range-error').textContent).toContain('Entry 1:');
  });

  it('shows how an entry will be stored and saves the list', async () => {
    const { user, onSave, save } = setup();
    await user.click(screen.getByRole('button', { name: 'Add range' }));
    await user.type(screen.getByLabelText('IP range 1'), '10.1.2.3/8');
    expect(screen.getByText('Will be stored as 10.0.0.0/8')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Add range' }));
    await user.type(screen.getByLabelText('IP range 2'), '2001:DB8:0:0::1');
    expect(screen.getByText('Will be stored as 2001:db8::1/128')).toBeTruthy();
    expect(save().disabled).toBe(false);
    await user.click(save());
    expect(onSave).toHaveBeenCalledWith(['10.1.2.3/8', '2001:DB8:0:0::1']);
  });

  it('saves an empty list after removing every entry, with a warning', async () => {
    const { user, onSave, save } = setup(['10.0.0.0/8']);
    await user.click(screen.getByRole('button', { name: 'Remove range 1' }));
    expect(screen.getByText(/Saving an empty list removes the restriction/)).toBeTruthy();
    await user.click(save());
    expect(onSave).toHaveBeenCalledWith([]);
  });

  it('shows an error the server gave for an entry (details path allowedIpRanges.N)', () => {
    setup(['10.0.0.0/8', '192.168.0.0/16'], [{ path: 'allowedIpRanges.1', message: 'Refused by the server.' }]);
    const errors = screen.getAllByTestId('ip-range-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.textContent).toBe('Refused by the server.');
    expect(screen.getByLabelText('IP range 2').getAttribute('aria-invalid')).toBe('true');
  });

  it('resets the draft to what the server stored', () => {
    const { view, onSave } = setup(['10.1.2.3/8']);
    view.rerender(<IpRangeEditor stored={['10.0.0.0/8']} onSave={onSave} />);
    expect((screen.getByLabelText('IP range 1') as HTMLInputElement).value).toBe('10.0.0.0/8');
  });
});
