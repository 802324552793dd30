import type { AgentStatus } from '@pc/contract';
import { trpc } from '../../lib/trpc.js';
import { Badge, CopyButton, RelativeTime } from '../../lib/ui.js';

/** Online or offline in words, with a dot that only repeats them. */
export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  return status === 'online' ? (
    <Badge tone="success">
      <span className="status-dot" aria-hidden="true" />
      Online
    </Badge>
  ) : (
    <Badge tone="muted">
      <span className="status-dot" aria-hidden="true" />
      Offline
    </Badge>
  );
}

/**
 * When and from where the agent last reported in. `now` is when the list was fetched, and a
 * heartbeat a little ahead of this browser's clock still reads "just now".
 */
export function LastSeen({ at, ip, now }: { at: string | null; ip: string | null; now: number }) {
  return (
    <span className="last-seen">
      <RelativeTime iso={at} never="Never" now={at === null ? now : Math.max(now, Date.parse(at))} />
      {ip && <code className="mono small muted">{ip}</code>}
    </span>
  );
}

/** How to start the reference agent against this server. */
export function RunAgentCommand() {
  const config = trpc.config.useQuery(undefined, { staleTime: Infinity });
  const origin = config.data?.publicUrl ?? window.location.origin;
  const command = `PRIVATE_CONNECT_URL=${origin} PRIVATE_CONNECT_API_KEY=<a key> npx private-connect agent --name <name>`;
  return (
    <div className="command" data-testid="run-agent-command">
      <pre className="mono">
        <code>{command}</code>
      </pre>
      <CopyButton text={command} label="Copy command" />
    </div>
  );
}
