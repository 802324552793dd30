import { type LinkPreview, type SignupPolicy, type VerifyResult, abuseClient, emailDomain, maskEmail } from '@pc/contract';
import { uniqueViolation } from '@pc/db';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import type { MailDelivery } from '../mail/mail-delivery.js';
import type { CoreObserver } from '../shared/observer.js';
import type { BackgroundQueue } from '../mail/mail-queue.js';
import { signInMail, verifyMail } from '../mail/templates.js';
import { type Clock, type RandomSource, type RequestMeta, iso, newId, sha256Hex } from '../shared/runtime.js';
import { type Store, type Trx, afterCommit } from '../store/store.js';
import { type AbuseLimiters, type AuthLimits, MAGIC_LINK_TTL_MS, spend, spendOnToken } from './auth-limits.js';
import { browserAccount, createAccount, createWorkspaceFor, hasAccount, landingWorkspaceOf } from './accounts.js';
import { createMagicLink } from './magic-links.js';
import { startSession } from './session-start.js';

export interface SignInDeps {
  store: Store;
  clock: Clock;
  random: RandomSource;
  mail: MailDelivery;
  queue: BackgroundQueue;
  audit: AuditService;
  publicUrl: string;
  limits: AuthLimits;
  limiters: AbuseLimiters;
  signup: SignupPolicy;
  observer: CoreObserver;
}

export interface SignedIn {
  result: VerifyResult;
  sessionToken: string;
  maxAgeSeconds: number;
}

const minutes = MAGIC_LINK_TTL_MS / 60_000;

/** Registration and sign-in by e-mailed magic link, up to the new session. */
export function createSignInService(deps: SignInDeps) {
  const { store, clock, random, mail, queue, audit, limits, limiters } = deps;
  const { db } = store;

  const createLink = async (trx: Trx, email: string, pendingRegistrationId: string | null) =>
    (await createMagicLink(trx, deps, email, pendingRegistrationId)).link;

  async function mailSignInLink(email: string, meta: RequestMeta): Promise<void> {
    await store.transaction(async (trx) => {
      const link = await createLink(trx, email, null);
      // Mailed once the link is committed: never a link that a rollback voided.
      afterCommit(trx, () => mail.send(signInMail(email, link, minutes), meta.requestId ?? null));
    });
  }

  /** An account in at least one workspace: a sign-up of its e-mail mails a sign-in link instead. */
  const hasWorkspace = async (email: string) =>
    (await db.selectFrom('users as u').innerJoin('workspace_members as m', 'm.user_id', 'u.id').select('u.id').where('u.email', '=', email).executeTakeFirst()) !== undefined;
  const workspaceNameTaken = async (name: string) => (await db.selectFrom('workspaces').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;

  /** Whoever may sign up: the same answer for every e-mail (closed), or for every e-mail of a domain. */
  function assertMaySignUp(email: string): void {
    if (!deps.signup.open) throw new AppError('signup_closed');
    if (deps.signup.emailDomains.length > 0 && !deps.signup.emailDomains.includes(emailDomain(email))) throw new AppError('email_domain_not_allowed');
  }

  /**
   * Answers the same whether or not the e-mail has an account; the mail work runs after the response.
   * The per-e-mail budget is spent only by a request that queues mail, so refused sign-ups (a
   * taken name, a closed server) leave it alone.
   */
  async function register(input: { email: string; workspaceName: string }, meta: RequestMeta): Promise<void> {
    assertMaySignUp(input.email);
    await spend(limiters.perMinute, `register:${abuseClient(meta.ip, limits.ipv6Prefix)}`, limits.registerPerIpPerMinute);
    // A friendly early answer; the unique index on workspace names decides at verification.
    if (await workspaceNameTaken(input.workspaceName)) throw new AppError('workspace_name_taken');
    await spend(limiters.per15Minutes, `email:${input.email}`, limits.perEmailPer15Minutes);
    queue.enqueue('register', async () => {
      if (await hasWorkspace(input.email)) return mailSignInLink(input.email, meta);
      const now = clock.now();
      await store.transaction(async (trx) => {
        const regId = newId(random, 'reg');
        await trx
          .insertInto('pending_registrations')
          .values({ id: regId, email: input.email, workspace_name: input.workspaceName, created_at: iso(now), expires_at: iso(new Date(now.getTime() + MAGIC_LINK_TTL_MS)) })
          .execute();
        const link = await createLink(trx, input.email, regId);
        afterCommit(trx, () => mail.send(verifyMail(input.email, input.workspaceName, link, minutes), meta.requestId ?? null));
      });
    });
  }

  async function login(input: { email: string }, meta: RequestMeta): Promise<void> {
    await spend(limiters.perMinute, `login:${abuseClient(meta.ip, limits.ipv6Prefix)}`, limits.loginPerIpPerMinute);
    await spend(limiters.per15Minutes, `email:${input.email}`, limits.perEmailPer15Minutes);
    queue.enqueue('login', async () => {
      if (await hasAccount(db, input.email)) await mailSignInLink(input.email, meta);
    });
  }

  /**
   * The user and workspace a verified link signs in to. A sign-up link creates its workspace (and
   * the user, if new); a sign-in link lands where the user last worked.
   */
  async function accountFor(trx: Trx, link: { email: string; pending_registration_id: string | null }, nowIso: string, meta: RequestMeta) {
    const user = await trx.selectFrom('users').selectAll().where('email', '=', link.email).executeTakeFirst();
    const pending = link.pending_registration_id
      ? await trx.selectFrom('pending_registrations').selectAll().where('id', '=', link.pending_registration_id).executeTakeFirst()
      : undefined;
    if (!pending) {
      if (!user) throw new AppError('invalid_token');
      const workspace = await landingWorkspaceOf(trx, user.id);
      if (!workspace) throw new AppError('no_workspace');
      return { user, workspace, isNewUser: false };
    }
    const input = { workspaceName: pending.workspace_name, nowIso, registeredBy: 'self' as const, meta };
    const created = user
      ? { user, workspace: await createWorkspaceFor(trx, deps, user, input) }
      : await createAccount(trx, deps, { ...input, email: link.email }).catch((err: unknown) => {
          // An account made since this link was mailed (another link of the e-mail, at another instance).
          if (uniqueViolation(err) === 'users(email)') throw new AppError('invalid_token');
          throw err;
        });
    // Done with: this sign-up and any other of the e-mail (their links go with them).
    await trx.deleteFrom('pending_registrations').where('email', '=', link.email).execute();
    return { ...created, isNewUser: user === undefined };
  }

  async function verify(token: string, meta: RequestMeta): Promise<SignedIn> {
    await spendOnToken(limiters, limits, meta, token, 'invalid_token');
    const tokenHash = sha256Hex(token);
    const signedIn = await store.transaction(async (trx) => {
      const nowIso = iso(clock.now());
      const link = await trx.selectFrom('magic_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!link || link.used_at !== null || link.expires_at <= nowIso) throw new AppError('invalid_token');
      // The claim: one statement marks every open link of the e-mail used, this one among them. Of
      // two verifications at once (of this link or of another for the same e-mail, at any
      // instance) the second waits on the row locks, then finds nothing left to claim.
      const claimed = await trx.updateTable('magic_links').set({ used_at: nowIso }).where('email', '=', link.email).where('used_at', 'is', null).returning('id').execute();
      if (!claimed.some((r) => r.id === link.id)) throw new AppError('invalid_token');
      const { user, workspace, isNewUser } = await accountFor(trx, link, nowIso, meta);
      const session = await startSession(trx, deps, { userId: user.id, workspaceId: workspace.id, meta });
      return { ...session, result: { success: true as const, user: { id: user.id, email: user.email }, workspace: { id: workspace.id, name: workspace.name }, isNewUser } };
    });
    deps.observer.signedIn(signedIn.result.isNewUser);
    return signedIn;
  }

  /**
   * What `token` would sign in to, without spending it: the account (masked), the workspace, and
   * whether this browser is signed in as someone else now. An attacker's own link then says whose
   * account it opens before anyone clicks. Invalid, used or expired: 400 `invalid_token`.
   */
  async function previewLink(token: string, meta: RequestMeta, currentUserId: string | null): Promise<LinkPreview> {
    await spendOnToken(limiters, limits, meta, token, 'invalid_token');
    const nowIso = iso(clock.now());
    const link = await db.selectFrom('magic_links').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
    if (!link || link.used_at !== null || link.expires_at <= nowIso) throw new AppError('invalid_token');
    let workspace: string | undefined;
    if (link.pending_registration_id !== null) {
      workspace = (await db.selectFrom('pending_registrations').select('workspace_name').where('id', '=', link.pending_registration_id).executeTakeFirst())?.workspace_name;
    } else {
      const user = await db.selectFrom('users').select('id').where('email', '=', link.email).executeTakeFirst();
      workspace = user ? (await landingWorkspaceOf(db, user.id))?.name : undefined;
      if (user && workspace === undefined) throw new AppError('no_workspace');
    }
    if (workspace === undefined) throw new AppError('invalid_token');
    return {
      email: maskEmail(link.email),
      workspace,
      isNewUser: link.pending_registration_id !== null,
      current: await browserAccount(db, currentUserId, link.email),
    };
  }

  return { register, login, verify, previewLink };
}

export type SignInService = ReturnType<typeof createSignInService>;
