export interface SessionPrincipal {
  kind: 'session';
  sessionId: string;
  userId: string;
  workspaceId: string;
}

export interface ApiKeyPrincipal {
  kind: 'api_key';
  keyId: string;
  workspaceId: string;
}

/** Who is calling, already authenticated by the transport through core. */
export type Principal = SessionPrincipal | ApiKeyPrincipal;

export function actorOf(p: Principal): { type: 'user' | 'api_key'; id: string } {
  return p.kind === 'session' ? { type: 'user', id: p.userId } : { type: 'api_key', id: p.keyId };
}
