import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { SignUpForm } from './sign-up-form.js';

function setup(props: Partial<Parameters<typeof SignUpForm>[0]> = {}) {
  const onSubmit = vi.fn();
  const user = userEvent.setup();
  const view = render(<SignUpForm onSubmit={onSubmit} {...props} />);
  const email = screen.getByLabelText('Work e-mail');
  const workspace = screen.getByLabelText('Workspace name');
  const submit = screen.getByRole('button', { name: 'Create workspace' });
  return { onSubmit, user, email, workspace, submit, view };
}

describe('SignUpForm', () => {
  it.each([
    ['a', 'Workspace name must be at least 2 characters.'],
    ['-acme', 'Workspace name: 2–50 characters: lower-case letters, digits and hyphens, starting with a letter or digit.'],
    ['Acme', 'Workspace name: 2–50 characters'],
    ['acme_corp', 'Workspace name: 2–50 characters'],
    ['admin', 'This workspace name is reserved.'],
    ['x'.repeat(51), 'Workspace name must be at most 50 characters.'],
  ])('refuses workspace name %j before any request', async (name, message) => {
    const { user, email, workspace, submit, onSubmit } = setup();
    await user.type(email, 'ops@example.com');
    await user.type(workspace, name);
    await user.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(workspace.getAttribute('aria-invalid')).toBe('true');
    const error = document.getElementById(workspace.getAttribute('aria-describedby')!.split(' ').pop()!);
    expect(error?.textContent).toContain(message);
  });

  it('refuses a malformed e-mail', async () => {
    const { user, email, workspace, submit, onSubmit } = setup();
    await user.type(email, 'not-an-email');
    await user.type(workspace, 'acme');
    await user.click(submit);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText('Enter a valid e-mail address.')).toBeTruthy();
  });

  it('shows the workspace rule as a hint and no error before the field is touched', () => {
    const { workspace } = setup();
    expect(workspace.getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByText(/lower-case letters, digits and hyphens/)).toBeTruthy();
  });

  it('says the workspace rule once: as the hint, then as the error in its place', async () => {
    const { user, email, workspace, submit } = setup();
    const rule = () => screen.getAllByText(/lower-case letters, digits and hyphens/);
    expect(rule().map((p) => p.className)).toEqual(['field-hint']);
    await user.type(email, 'ops@example.com');
    await user.type(workspace, 'Acme');
    await user.click(submit);
    expect(rule().map((p) => p.className)).toEqual(['field-error']);
    expect(workspace.getAttribute('aria-describedby')).toBe(rule()[0]!.id);
    await user.clear(workspace);
    await user.type(workspace, 'acme');
    expect(rule().map((p) => p.className)).toEqual(['field-hint']);
  });

  it('submits the values as the server will see them (e-mail trimmed and lower-cased)', async () => {
    const { user, email, workspace, submit, onSubmit } = setup();
    await user.type(email, '  Ops@Example.COM ');
    await user.type(workspace, 'acme-2');
    await user.click(submit);
    expect(onSubmit).toHaveBeenCalledWith({ email: 'ops@example.com', workspaceName: 'acme-2' });
  });

  it('shows a server error on its field until the field is edited', async () => {
    const { user, workspace, view, onSubmit } = setup();
    view.rerender(<SignUpForm onSubmit={onSubmit} serverErrors={{ workspaceName: 'This workspace name is already taken. Pick another one.' }} />);
    expect(screen.getByText('This workspace name is already taken. Pick another one.')).toBeTruthy();
    await user.type(workspace, 'acme');
    expect(screen.queryByText('This workspace name is already taken. Pick another one.')).toBeNull();
  });
});
