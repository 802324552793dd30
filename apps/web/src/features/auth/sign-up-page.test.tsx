import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import { SignUpPage } from './sign-up-page.js';

const config = (signup: { open: boolean; emailDomains: string[] }) => ({ config: { data: { mailConfigured: true, publicUrl: 'http://localhost:3000', signup } } });

describe('SignUpPage and the sign-up policy', () => {
  it('says sign-up is closed instead of showing a form that would fail', async () => {
    renderWithTrpc(<SignUpPage />, config({ open: false, emailDomains: [] }));
    expect((await screen.findByTestId('signup-closed')).textContent).toContain('does not take new sign-ups');
    expect(screen.queryByRole('form', { name: 'Create your workspace' })).toBeNull();
  });

  it('names the domains that may sign up, and says so once when the server refuses another', async () => {
    const { calls } = renderWithTrpc(<SignUpPage />, {
      ...config({ open: true, emailDomains: ['example.com'] }),
      'auth.register': { error: { message: 'Sign-up on this server is limited to other e-mail domains.', httpStatus: 403, appCode: 'email_domain_not_allowed' } },
    });
    expect(await screen.findByText('Only addresses at example.com can sign up on this server.')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Work e-mail'), 'eve@example.org');
    await userEvent.type(screen.getByLabelText('Workspace name'), 'eve-co');
    await userEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(await screen.findByText('This address is not at one of the domains that may sign up here.')).toBeTruthy();
    expect(calls).toContain('auth.register');
  });
});
