import type { Role } from '@pc/contract';

export interface SessionPrincipal {
  kind: 'session';
  sessionId: string;
  userId: string;
  /** The session's current workspace, and the user's role there, read with the session on every request. */
  workspaceId: string;
  role: Role;
}

export interface ApiKeyPrincipal {
  kind: 'api_key';
  keyId: string;
  workspaceId: string;
}

/** The server's operator, through the admin command on the server's machine; audited as `system`. */
export interface OperatorPrincipal {
  kind: 'operator';
  workspaceId: string;
}

/** Who is calling, already authenticated by the transport through core. */
export type Principal = SessionPrincipal | ApiKeyPrincipal;

export function actorOf(p: Principal | OperatorPrincipal): { type: 'user' | 'api_key' | 'system'; id: string | null } {
  if (p.kind === 'operator') return { type: 'system', id: null };
  return p.kind === 'session' ? { type: 'user', id: p.userId } : { type: 'api_key', id: p.keyId };
}
