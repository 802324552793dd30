import { useEffect, useState } from 'react';
import { clockTime } from '../../lib/format.js';
import { Link } from '../../lib/router.js';
import { trpc } from '../../lib/trpc.js';
import { Notice } from '../../lib/ui.js';
import { HOUR_MS, hourStart, refusedOf, requests, sumCounts, totalOf } from '../usage/usage-outcomes.js';

interface RolledKey {
  id: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  rolledToId: string | null;
}

const POLL_MS = 30_000;

/** A clock that ticks every minute, so a window ending "now" moves on while the page stays open. */
function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 60_000);
    return () => window.clearInterval(t);
  }, []);
  return now;
}

/**
 * On an old key in its grace period: is anything still calling it? Counts are kept by the hour, so
 * the window is the buckets from the one an hour ago up to now (60 to 120 minutes): "quiet" means
 * no request for at least an hour, and a count says where its window starts. Both queries poll,
 * so the page turns quiet by itself.
 */
export function RotationUsageNotice({ apiKey }: { apiKey: RolledKey }) {
  const now = useMinuteClock();
  const from = hourStart(now - HOUR_MS);
  const usage = trpc.apiKeys.usage.useQuery({ id: apiKey.id, granularity: 'hour', from }, { refetchInterval: POLL_MS });
  // Shares the page's query: lastUsedAt and lastUsedIp stay as fresh as the counts.
  trpc.apiKeys.get.useQuery({ id: apiKey.id }, { refetchInterval: POLL_MS });

  if (!usage.data) return null;
  const counts = sumCounts(usage.data.data);
  const total = totalOf(counts);
  const refused = refusedOf(counts);
  const since = usage.data.data[0]?.start ?? usage.data.from;
  const lastAt = apiKey.lastUsedAt && Date.parse(apiKey.lastUsedAt) >= Date.parse(since) ? apiKey.lastUsedAt : null;
  const newKey = apiKey.rolledToId ? <Link to={`/keys/${apiKey.rolledToId}`}>the new key</Link> : 'the new key';

  if (total === 0 && !lastAt) {
    return (
      <Notice tone="success" testId="key-gone-quiet">
        <strong>No requests in the last hour</strong> — it has gone quiet; you can revoke it now. Its callers have moved to {newKey}.
      </Notice>
    );
  }
  return (
    <Notice tone="warning" testId="key-still-in-use">
      <strong>Still in use{total > 0 && `: ${requests(total)} since ${clockTime(since, { seconds: false })}`}</strong>
      {refused > 0 && ` (${refused} of them refused)`}
      {lastAt && (
        <>
          , last at <time dateTime={lastAt}>{clockTime(lastAt)}</time>
          {apiKey.lastUsedIp && (
            <>
              {' '}
              from <code className="mono">{apiKey.lastUsedIp}</code>
            </>
          )}
        </>
      )}
      . Move that caller to {newKey} before the grace period ends, or its requests will fail.
    </Notice>
  );
}
