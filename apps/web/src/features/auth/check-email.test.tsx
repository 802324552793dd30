import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import { CheckEmail } from './check-email.js';

const props = { email: 'ops@example.com', onResend() {}, resending: false, onBack() {} };

describe('CheckEmail', () => {
  it('says the link went to the server log when the server has no mail configured', async () => {
    renderWithTrpc(<CheckEmail {...props} kind="sign-in" />, { config: { data: { mailConfigured: false, publicUrl: 'http://localhost:3000' } } });
    const notice = await screen.findByTestId('mail-not-configured');
    expect(notice.textContent).toContain('server log');
  });

  it('does not mention the server log when mail is configured', async () => {
    const { calls } = renderWithTrpc(<CheckEmail {...props} kind="sign-in" />, { config: { data: { mailConfigured: true, publicUrl: 'http://localhost:3000' } } });
    await screen.findByText('Check your e-mail');
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toContain('config');
    expect(screen.queryByTestId('mail-not-configured')).toBeNull();
  });

  it('words sign-in so it does not tell whether the account exists', () => {
    renderWithTrpc(<CheckEmail {...props} kind="sign-in" />, { config: { data: { mailConfigured: true, publicUrl: '' } } });
    expect(screen.getByTestId('check-email').textContent).toContain('If ops@example.com has an account, we sent it a sign-in link.');
  });
});
