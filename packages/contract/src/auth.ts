import { z } from 'zod';
import { emailSchema, idSchema, isoTimestamp, workspaceNameSchema } from './common.js';
import { roleSchema } from './teams.js';

export const registerInput = z.object({ email: emailSchema, workspaceName: workspaceNameSchema });
export const loginInput = z.object({ email: emailSchema });
export const verifyInput = z.object({
  token: z.string({ error: 'token is required.' }).min(1, 'token is required.').max(4096, 'The link is invalid.'),
});

export const registerResult = z.object({ success: z.literal(true), message: z.literal('Verification email sent') });
export const loginResult = z.object({ success: z.literal(true), message: z.literal('Login link sent to your email') });

export const userSummary = z.object({ id: z.string(), email: z.string() });
export const workspaceSummary = z.object({ id: z.string(), name: z.string() });
export const user = userSummary.extend({ createdAt: isoTimestamp });
export const workspace = workspaceSummary.extend({ createdAt: isoTimestamp });

export const verifyResult = z.object({
  success: z.literal(true),
  user: userSummary,
  workspace: workspaceSummary,
  isNewUser: z.boolean(),
});

/** An accepted invitation: signed in, as a verified link is, with the role joined as. */
export const invitationAccepted = verifyResult.extend({ role: roleSchema });

/** The signed-in user, the session's current workspace and the user's role in it. */
export const meResult = z.object({ user, workspace, role: roleSchema });

export const logoutScope = z.enum(['local', 'others', 'global'], { error: 'scope must be local, others or global.' });
export const logoutInput = z.object({ scope: logoutScope.default('local') });

export const sessionItem = z.object({
  id: z.string(),
  createdAt: isoTimestamp,
  lastUsedAt: isoTimestamp,
  expiresAt: isoTimestamp,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
  workspace: z.object({ id: z.string(), name: z.string() }).describe('The workspace this session is in now (a person in several switches between them)'),
});
export const sessionList = z.array(sessionItem);
export const revokeSessionInput = z.object({ id: idSchema });

export const signupPolicy = z.object({
  open: z.boolean().describe('false: POST /v1/auth/register answers 403 signup_closed'),
  emailDomains: z.array(z.string()).describe('when not empty, only e-mails at these domains may sign up'),
});

export const publicConfig = z.object({
  mailConfigured: z.boolean().describe('false: magic links are written to the server log and data/outbox/'),
  publicUrl: z.string(),
  signup: signupPolicy,
  agentOfflineAfterSeconds: z.number().int().describe('an agent is online while its last heartbeat is younger than this'),
});

export type RegisterInput = z.input<typeof registerInput>;
export type LoginInput = z.input<typeof loginInput>;
export type VerifyResult = z.infer<typeof verifyResult>;
export type InvitationAcceptedResult = z.infer<typeof invitationAccepted>;
export type MeResult = z.infer<typeof meResult>;
export type LogoutScope = z.infer<typeof logoutScope>;
export type SessionItem = z.infer<typeof sessionItem>;
export type PublicConfig = z.infer<typeof publicConfig>;
export type SignupPolicy = z.infer<typeof signupPolicy>;

/** `a•••@example.com`: enough to recognise one's own address, not enough to learn someone else's. */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '•••' : `${email[0]}•••${email.slice(at)}`;
};

/** What a sign-in link will do, read without spending it (the verify page asks before the click). */
export const linkPreview = z.object({
  email: z.string().describe('The account, masked: a•••@example.com'),
  workspace: z.string().describe('The workspace the link signs in to (or creates)'),
  isNewUser: z.boolean(),
  /** Who this browser is signed in as now, if anyone (its own address, in full). */
  current: z.object({ email: z.string(), sameAccount: z.boolean() }).nullable(),
});
export type LinkPreview = z.infer<typeof linkPreview>;
