import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import { VerifyPage } from './verify-page.js';

const error = (appCode: string, message: string, httpStatus = 400) => ({ error: { appCode, message, httpStatus } });

describe('VerifyPage', () => {
  beforeEach(() => window.history.replaceState(null, '', '/auth/verify?token=abc123'));
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('never verifies on load: only the "Sign in" button does', async () => {
    const user = userEvent.setup();
    const { calls } = renderWithTrpc(<VerifyPage />, {
      'auth.verify': { data: { success: true, user: { id: 'u', email: 'a@b.co' }, workspace: { id: 'w', name: 'acme' }, isNewUser: true } },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.filter((c) => c === 'auth.verify')).toEqual([]);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(window.location.pathname).toBe('/keys'));
    expect(calls.filter((c) => c === 'auth.verify')).toEqual(['auth.verify']);
  });

  it('names the account and workspace before the click, and warns when signed in as someone else', async () => {
    renderWithTrpc(<VerifyPage />, {
      'auth.previewLink': { data: { email: 'a•••@example.com', workspace: 'acme', isNewUser: false, current: { email: 'me@corp.example', sameAccount: false } } },
    });
    expect((await screen.findByTestId('verify-target')).textContent).toBe('Sign in as a•••@example.com to workspace acme?');
    expect(screen.getByTestId('verify-other-account').textContent).toContain('signed in as me@corp.example');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('a sign-up link says which workspace it creates', async () => {
    renderWithTrpc(<VerifyPage />, { 'auth.previewLink': { data: { email: 'n•••@example.com', workspace: 'newco', isNewUser: true, current: null } } });
    expect((await screen.findByTestId('verify-target')).textContent).toBe('Create workspace newco as n•••@example.com?');
    expect(screen.queryByTestId('verify-other-account')).toBeNull();
    expect(screen.getByRole('button', { name: 'Create and sign in' })).toBeTruthy();
  });

  it('a used link says so at once, from the preview', async () => {
    renderWithTrpc(<VerifyPage />, { 'auth.previewLink': error('invalid_token', 'This sign-in link is invalid, has expired or was already used.') });
    expect((await screen.findByTestId('verify-invalid')).textContent).toContain('expired or was already used');
  });

  it('explains an expired or used link and offers a new one', async () => {
    const user = userEvent.setup();
    renderWithTrpc(<VerifyPage />, { 'auth.verify': error('invalid_token', 'This sign-in link is invalid, has expired or was already used.') });
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const box = await screen.findByTestId('verify-invalid');
    expect(box.textContent).toContain('expired or was already used');
    expect(screen.getByRole('button', { name: 'Email me a new link' })).toBeTruthy();
  });

  it('says when the workspace name was taken before the link was used', async () => {
    const user = userEvent.setup();
    renderWithTrpc(<VerifyPage />, { 'auth.verify': error('workspace_name_taken', 'This workspace name is already taken.', 409) });
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByTestId('verify-name-taken')).textContent).toContain('workspace name was taken');
    expect(screen.getByRole('link', { name: 'Choose another name' }).getAttribute('href')).toBe('/sign-up');
  });

  it('shows when to retry after a rate limit', async () => {
    const user = userEvent.setup();
    renderWithTrpc(<VerifyPage />, { 'auth.verify': { error: { appCode: 'rate_limited', message: 'Too many requests.', httpStatus: 429, retryAfter: 42 } as never } });
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Too many attempts. Try again in 42 seconds.')).toBeTruthy();
  });

  it('asks for the whole link when the token is missing', () => {
    window.history.replaceState(null, '', '/auth/verify');
    renderWithTrpc(<VerifyPage />, {});
    expect(screen.getByText('This link is incomplete')).toBeTruthy();
  });
});
