import { PERMISSION_REASONS } from '@pc/contract';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeProcedure, renderWithTrpc } from '../../test-utils.js';
import MembersPage from './members-page.js';
import { ME, invitationFixture, memberFixture, sessionAs } from './team-fixtures.js';

const refused = (appCode: string, message: string, httpStatus = 409) => ({ error: { appCode, message, httpStatus } });
const LAST_OWNER = 'A workspace keeps at least one owner: make someone else an owner first.';

function renderAs(role: 'owner' | 'admin' | 'member', answers: Record<string, FakeProcedure> = {}) {
  return renderWithTrpc(<MembersPage />, {
    ...sessionAs(role),
    'members.list': { data: [memberFixture(ME.id, role, ME.email), memberFixture('user_bob', 'member'), memberFixture('user_ann', 'admin')] },
    'invitations.list': { data: [invitationFixture(), invitationFixture({ id: 'inv_2', email: 'boss@acme.example', role: 'owner' })] },
    'auditLogs.list': { data: { data: [], nextCursor: null } },
    config: { data: { mailConfigured: true, publicUrl: 'http://localhost:3000' } },
    ...answers,
  });
}
const rowOf = async (email: string) => within((await screen.findAllByTestId('member-row')).find((r) => r.textContent!.includes(email))!);
const invitationRow = async (email: string) => within((await screen.findAllByTestId('invitation-row')).find((r) => r.textContent!.includes(email))!);
const inputsOf = (requests: { path: string; input: unknown }[], path: string) => requests.filter((r) => r.path === path).map((r) => r.input);
/** The visible text a disabled control points at with aria-describedby. */
const reasonOf = (el: HTMLElement) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent ?? null;

describe('MembersPage', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  describe('as an owner', () => {
    it('lists every member with a role select, Remove for the others and Leave for me', async () => {
      renderAs('owner');
      const bob = await rowOf('bob@acme.example');
      expect((bob.getByRole('combobox', { name: 'Role of bob@acme.example' }) as HTMLSelectElement).value).toBe('member');
      expect(bob.getByRole('button', { name: 'Remove bob@acme.example' })).toBeTruthy();
      const me = await rowOf(ME.email);
      expect(me.getByText('You')).toBeTruthy();
      expect(me.getByRole('button', { name: 'Leave' })).toBeTruthy();
      expect(me.queryByRole('button', { name: /^Remove/ })).toBeNull();
      expect(screen.queryByTestId('permission-note')).toBeNull();
      expect(screen.getByTestId('my-role').textContent).toBe('an owner');
    });

    it('changes a role, and says why when the server refuses the last owner', async () => {
      const user = userEvent.setup();
      const { requests } = renderAs('owner', {
        'members.updateRole': (input) => {
          const { userId, role } = input as { userId: string; role: 'admin' };
          return userId === 'user_bob' ? { data: memberFixture(userId, role) } : refused('last_owner', LAST_OWNER);
        },
      });
      await user.selectOptions((await rowOf('bob@acme.example')).getByRole('combobox'), 'admin');
      await waitFor(() => expect(inputsOf(requests, 'members.updateRole')).toEqual([{ userId: 'user_bob', role: 'admin' }]));
      expect((await screen.findByTestId('toast')).textContent).toContain('bob@acme.example is now an admin.');

      // Demoting myself asks first, and the refusal stays in the dialog.
      await user.selectOptions((await rowOf(ME.email)).getByRole('combobox'), 'member');
      const dialog = screen.getByTestId('demote-self-dialog');
      await user.click(within(dialog).getByRole('button', { name: 'Become member' }));
      expect((await within(dialog).findByRole('alert')).textContent).toBe(LAST_OWNER);
      expect(inputsOf(requests, 'members.updateRole')).toContainEqual({ userId: ME.id, role: 'member' });
    });

    it('removes a member after a confirmation that names them', async () => {
      const user = userEvent.setup();
      const { requests } = renderAs('owner', { 'members.remove': { data: { success: true } } });
      await user.click((await rowOf('bob@acme.example')).getByRole('button', { name: 'Remove bob@acme.example' }));
      const dialog = screen.getByRole('alertdialog', { name: 'Remove bob@acme.example?' });
      expect(inputsOf(requests, 'members.remove')).toEqual([]);
      await user.click(within(dialog).getByRole('button', { name: 'Remove member' }));
      await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
      expect(inputsOf(requests, 'members.remove')).toEqual([{ userId: 'user_bob' }]);
      expect((await screen.findByTestId('toast')).textContent).toContain('bob@acme.example was removed from acme');
    });

    it('the last owner cannot leave: the dialog says why', async () => {
      const user = userEvent.setup();
      renderAs('owner', { 'members.remove': refused('last_owner', LAST_OWNER) });
      await screen.findAllByTestId('member-row');
      await user.click(screen.getByRole('button', { name: 'Leave workspace' }));
      const dialog = screen.getByTestId('leave-dialog');
      await user.click(within(dialog).getByRole('button', { name: 'Leave workspace' }));
      expect((await within(dialog).findByRole('alert')).textContent).toBe(LAST_OWNER);
      expect(window.location.pathname).toBe('/');
    });

    it('invites as any role, checks the address first, and shows already_member from the server', async () => {
      const user = userEvent.setup();
      const { requests } = renderAs('owner', {
        'invitations.create': (input) =>
          (input as { email: string }).email === 'bob@acme.example'
            ? refused('already_member', 'This person is already a member of the workspace.')
            : { data: invitationFixture({ id: 'inv_3', email: 'zoe@acme.example', role: 'admin' }) },
      });
      const form = within(await screen.findByTestId('invite-form'));
      const role = form.getByLabelText('Role') as HTMLSelectElement;
      expect([...role.options].map((o) => o.value)).toEqual(['owner', 'admin', 'member']);

      await user.type(form.getByLabelText('E-mail'), 'not-an-address');
      await user.click(form.getByRole('button', { name: 'Send invitation' }));
      expect(form.getByLabelText('E-mail').getAttribute('aria-invalid')).toBe('true');
      expect(inputsOf(requests, 'invitations.create')).toEqual([]);

      await user.clear(form.getByLabelText('E-mail'));
      await user.type(form.getByLabelText('E-mail'), 'bob@acme.example');
      await user.click(form.getByRole('button', { name: 'Send invitation' }));
      expect((await screen.findByTestId('invite-error')).textContent).toBe('This person is already a member of the workspace.');

      await user.clear(form.getByLabelText('E-mail'));
      await user.type(form.getByLabelText('E-mail'), 'zoe@acme.example');
      await user.selectOptions(role, 'admin');
      await user.click(form.getByRole('button', { name: 'Send invitation' }));
      expect((await screen.findByTestId('toast')).textContent).toContain('Invitation sent to zoe@acme.example');
      expect(inputsOf(requests, 'invitations.create')).toEqual([
        { email: 'bob@acme.example', role: 'member' },
        { email: 'zoe@acme.example', role: 'admin' },
      ]);
      expect((form.getByLabelText('E-mail') as HTMLInputElement).value).toBe('');
    });

    it('revokes a pending invitation', async () => {
      const user = userEvent.setup();
      const { requests } = renderAs('owner', { 'invitations.revoke': { data: { success: true } } });
      const row = await invitationRow('new@acme.example');
      expect(row.getByText('Member')).toBeTruthy();
      expect(row.getByText(ME.email)).toBeTruthy();
      await user.click(row.getByRole('button', { name: 'Revoke the invitation for new@acme.example' }));
      await waitFor(() => expect(inputsOf(requests, 'invitations.revoke')).toEqual([{ id: 'inv_1' }]));
      expect((await screen.findByTestId('toast')).textContent).toContain('Invitation for new@acme.example revoked');
    });
  });

  describe('as an admin', () => {
    it('invites admins and members only, shows roles as text with the reason, and cannot revoke an owner’s invitation', async () => {
      renderAs('admin');
      const role = within(await screen.findByTestId('invite-form')).getByLabelText('Role') as HTMLSelectElement;
      expect([...role.options].map((o) => o.value)).toEqual(['admin', 'member']);

      const bob = await rowOf('bob@acme.example');
      expect(bob.queryByRole('combobox')).toBeNull();
      expect(bob.getByTestId('member-role').textContent).toBe('Member');
      expect(bob.queryByRole('button', { name: /^Remove/ })).toBeNull();
      expect(screen.getAllByTestId('permission-note').map((n) => n.textContent)).toEqual([
        `${PERMISSION_REASONS.manageMembers} You are an admin of this workspace.`,
        `${PERMISSION_REASONS.deleteWorkspace} You are an admin of this workspace.`,
      ]);

      const ownerInvite = (await invitationRow('boss@acme.example')).getByRole('button', { name: /^Revoke/ }) as HTMLButtonElement;
      expect(ownerInvite.disabled).toBe(true);
      expect(reasonOf(ownerInvite)).toBe('Only owners can revoke an invitation to be an owner.');
      expect(((await invitationRow('new@acme.example')).getByRole('button', { name: /^Revoke/ }) as HTMLButtonElement).disabled).toBe(false);
    });
  });

  describe('as a member', () => {
    it('sees members and invitations, no invite form, and every change disabled or hidden with its reason', async () => {
      renderAs('member');
      await screen.findAllByTestId('member-row');
      expect(screen.queryByTestId('invite-form')).toBeNull();
      const notes = screen.getAllByTestId('permission-note').map((n) => n.textContent);
      expect(notes).toEqual([
        `${PERMISSION_REASONS.inviteMembers} You are a member of this workspace.`,
        `${PERMISSION_REASONS.manageMembers} You are a member of this workspace.`,
        `${PERMISSION_REASONS.deleteWorkspace} You are a member of this workspace.`,
      ]);
      expect(screen.queryByRole('combobox')).toBeNull();
      const revoke = (await invitationRow('new@acme.example')).getByRole('button', { name: /^Revoke/ }) as HTMLButtonElement;
      expect(revoke.disabled).toBe(true);
      expect(reasonOf(revoke)).toContain(PERMISSION_REASONS.inviteMembers);
      // Anyone may leave.
      expect((screen.getByRole('button', { name: 'Leave workspace' }) as HTMLButtonElement).disabled).toBe(false);
    });

    it('leaves the workspace and lands signed out', async () => {
      const user = userEvent.setup();
      const { requests } = renderAs('member', { 'members.remove': { data: { success: true } } });
      await screen.findAllByTestId('member-row');
      await user.click(screen.getByRole('button', { name: 'Leave workspace' }));
      await user.click(within(screen.getByRole('alertdialog', { name: 'Leave acme?' })).getByRole('button', { name: 'Leave workspace' }));
      await waitFor(() => expect(window.location.pathname + window.location.search).toBe('/sign-in?reason=signed-out'));
      expect(inputsOf(requests, 'members.remove')).toEqual([{ userId: ME.id }]);
      expect((await screen.findByTestId('toast')).textContent).toBe('You left acme.×');
    });
  });
});
