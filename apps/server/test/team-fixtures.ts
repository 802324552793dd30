import type { Role } from '@pc/contract';
import { expect } from 'vitest';
import { type TestServer, call } from './harness.js';

const mailCount = (server: TestServer, email: string) => server.sink.messages.filter((m) => m.to === email).length;

/** The invitation link of the newest message the sink received for `email`, once there are more than `before`. */
export async function invitationLinkIn(server: TestServer, email: string, before: number): Promise<{ link: string; token: string }> {
  await server.core.queue.idle();
  const { link, token } = (await server.sink.waitFor(email, before + 1)).at(-1)!;
  if (!link || !token) throw new Error(`no link in the mail to ${email}`);
  const url = new URL(link);
  expect(`${url.origin}${url.pathname}`).toBe(`${server.config.publicUrl}/auth/invitation`);
  return { link, token };
}

export interface Invited {
  invitation: { id: string; email: string; role: Role; expiresAt: string; createdAt: string; invitedBy: { userId: string; email: string } | null };
  link: string;
  token: string;
}

/** POST /v1/invitations as `cookie`, and the link from the real mail the sink received. */
export async function invite(server: TestServer, cookie: string, email: string, role: Role = 'member'): Promise<Invited> {
  const before = mailCount(server, email);
  const res = await call(server, 'POST', '/v1/invitations', { cookie, body: { email, role } });
  if (res.status !== 201) throw new Error(`invite failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { invitation: res.body, ...(await invitationLinkIn(server, email, before)) };
}

export interface Joined {
  cookie: string;
  userId: string;
  email: string;
}

/** Invites `email` as `role` and accepts over REST: a person signed in to the inviter's workspace. */
export async function join(server: TestServer, inviterCookie: string, email: string, role: Role): Promise<Joined> {
  const { token } = await invite(server, inviterCookie, email, role);
  const res = await call(server, 'POST', '/v1/invitations/accept', { body: { token } });
  if (res.status !== 200 || !res.cookie) throw new Error(`accept failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { cookie: res.cookie, userId: res.body.user.id, email };
}
