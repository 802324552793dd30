import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import InvitationPage from './invitation-page.js';
import { previewFixture } from './team-fixtures.js';

const INVALID = { error: { appCode: 'invalid_invitation', message: 'This invitation is invalid, has expired, was revoked or was already accepted.', httpStatus: 400 } };
const accepted = { data: { success: true, user: { id: 'user_n', email: 'new@example.com' }, workspace: { id: 'ws_acme', name: 'acme' }, isNewUser: true, role: 'member' } };
const text = (testId: string) => screen.getByTestId(testId).textContent;

describe('InvitationPage', () => {
  beforeEach(() => window.history.replaceState(null, '', '/auth/invitation?token=tok123'));
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('names the workspace, the inviter, the role and the masked address before any click, and never accepts on load', async () => {
    const { calls, requests } = renderWithTrpc(<InvitationPage />, { 'invitations.preview': { data: previewFixture() }, 'invitations.accept': accepted });
    expect((await screen.findByTestId('invitation-target')).textContent).toBe('Join acme on Private Connect');
    expect(text('invitation-summary')).toBe('owner@acme.example invited n•••@example.com to join as a member.');
    expect(text('invitation-account')).toContain('Accepting creates an account for n•••@example.com');
    expect(screen.queryByTestId('invitation-other-account')).toBeNull();
    expect(requests.find((r) => r.path === 'invitations.preview')?.input).toEqual({ token: 'tok123' });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).not.toContain('invitations.accept');
  });

  it('accepts with the button, then opens the app', async () => {
    const user = userEvent.setup();
    const { requests } = renderWithTrpc(<InvitationPage />, { 'invitations.preview': { data: previewFixture() }, 'invitations.accept': accepted });
    await user.click(await screen.findByRole('button', { name: 'Accept and create account' }));
    await waitFor(() => expect(window.location.pathname).toBe('/keys'));
    expect(requests.filter((r) => r.path === 'invitations.accept').map((r) => r.input)).toEqual([{ token: 'tok123' }]);
    expect((await screen.findByTestId('toast')).textContent).toContain('You joined acme');
  });

  it('for an existing account says it joins, and warns when this browser is signed in as someone else', async () => {
    renderWithTrpc(<InvitationPage />, {
      'invitations.preview': { data: previewFixture({ isNewUser: false, role: 'admin', current: { email: 'other@corp.example', sameAccount: false } }) },
    });
    expect((await screen.findByTestId('invitation-summary')).textContent).toContain('to join as an admin.');
    expect(text('invitation-account')).toContain('already has an account');
    expect(text('invitation-other-account')).toContain('This browser is signed in as other@corp.example. Accepting signs it in as n•••@example.com instead.');
    expect(screen.getByRole('button', { name: 'Accept invitation' })).toBeTruthy();
  });

  it('does not warn when signed in as the invited account', async () => {
    renderWithTrpc(<InvitationPage />, { 'invitations.preview': { data: previewFixture({ isNewUser: false, current: { email: 'n@example.com', sameAccount: true } }) } });
    await screen.findByTestId('invitation-target');
    expect(screen.queryByTestId('invitation-other-account')).toBeNull();
    expect(screen.getByText(/You are signed in as this account/)).toBeTruthy();
  });

  it('says a used, revoked or expired link can’t be used, before any click, and offers no Accept', async () => {
    renderWithTrpc(<InvitationPage />, { 'invitations.preview': INVALID });
    expect((await screen.findByTestId('invitation-invalid')).textContent).toContain('It has expired, was revoked, or was already accepted.');
    expect(screen.queryByRole('button', { name: /Accept/ })).toBeNull();
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/sign-in');
  });

  it('a link spent between the preview and the click says so too', async () => {
    const user = userEvent.setup();
    renderWithTrpc(<InvitationPage />, { 'invitations.preview': { data: previewFixture() }, 'invitations.accept': INVALID });
    await user.click(await screen.findByRole('button', { name: 'Accept and create account' }));
    expect(await screen.findByTestId('invitation-invalid')).toBeTruthy();
    expect(window.location.pathname).toBe('/auth/invitation');
  });

  it('shows when to retry after a rate limit', async () => {
    renderWithTrpc(<InvitationPage />, { 'invitations.preview': { error: { appCode: 'rate_limited', message: 'Too many requests.', httpStatus: 429, retryAfter: 30 } as never } });
    expect(await screen.findByText('Too many attempts. Try again in 30 seconds.')).toBeTruthy();
  });

  it('asks for the whole link when the token is missing, without a request', () => {
    window.history.replaceState(null, '', '/auth/invitation');
    const { calls } = renderWithTrpc(<InvitationPage />, {});
    expect(screen.getByText('This invitation link is incomplete')).toBeTruthy();
    expect(calls).toEqual([]);
  });
});
