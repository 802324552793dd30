import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { clockTime } from '../../lib/format.js';
import { renderWithTrpc } from '../../test-utils.js';
import { hourlyUsage } from '../usage/usage-fixtures.js';
import { apiKeyDetailFixture, apiKeyListItemFixture } from './api-key-fixtures.js';
import ApiKeyDetailPage from './api-key-detail-page.js';
import { ApiKeysPage } from './api-keys-page.js';

const MIN = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const rolled = { rolledToId: 'key_new', isActive: true, expiresAt: new Date(Date.now() + 50 * MIN).toISOString() };
type UsageInput = { id: string; granularity?: string; from?: string };

/** The detail page's two usage queries: the last hour for the notice (with `from`), the chart's 24 hours (without). */
function renderOldKey(detail: Parameters<typeof apiKeyDetailFixture>[0], lastHour: ReturnType<typeof hourlyUsage>) {
  return renderWithTrpc(<ApiKeyDetailPage id="key_old" />, {
    'apiKeys.get': { data: apiKeyDetailFixture({ ...rolled, ...detail }) },
    'apiKeys.usage': (input) => ({ data: (input as UsageInput).from ? lastHour : hourlyUsage(25) }),
  });
}

describe('after a roll, the old key’s page', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('says it is still in use: how many requests in the last hour, when and from where the last one came', async () => {
    const lastUsedAt = ago(4 * MIN);
    const lastHour = hourlyUsage(2, { 0: { ok: 3 }, 1: { ok: 5, ipNotAllowed: 1 } });
    const { requests } = renderOldKey({ lastUsedAt, lastUsedIp: '203.0.113.7' }, lastHour);

    const notice = await screen.findByTestId('key-still-in-use');
    expect(notice.textContent).toBe(
      `Still in use: 9 requests since ${clockTime(lastHour.data[0]!.start, { seconds: false })} (1 of them refused), last at ${clockTime(lastUsedAt)} from 203.0.113.7. Move that caller to the new key before the grace period ends, or its requests will fail.`,
    );
    expect(within(notice).getByRole('link', { name: 'the new key' }).getAttribute('href')).toBe('/keys/key_new');
    expect(screen.queryByTestId('key-gone-quiet')).toBeNull();

    // The window starts on the hour an hour ago (counts are kept by the hour), by the hour.
    const windowed = requests.filter((r) => r.path === 'apiKeys.usage' && (r.input as UsageInput).from).map((r) => r.input as UsageInput);
    expect(windowed).toHaveLength(1);
    expect(windowed[0]!.granularity).toBe('hour');
    const from = Date.parse(windowed[0]!.from!);
    expect(from % 3_600_000).toBe(0);
    expect(Date.now() - from).toBeGreaterThanOrEqual(60 * MIN);
    expect(Date.now() - from).toBeLessThan(120 * MIN);
  });

  it('says it has gone quiet when nothing called it in the last hour, and links the new key', async () => {
    renderOldKey({ lastUsedAt: ago(3 * 60 * MIN), lastUsedIp: '203.0.113.7' }, hourlyUsage(2));
    const notice = await screen.findByTestId('key-gone-quiet');
    expect(notice.textContent).toContain('No requests in the last hour — it has gone quiet; you can revoke it now.');
    expect(within(notice).getByRole('link', { name: 'the new key' }).getAttribute('href')).toBe('/keys/key_new');
    expect(screen.queryByTestId('key-still-in-use')).toBeNull();
    // The grace notice is still there beside it.
    expect(screen.getByTestId('key-rolled-notice')).toBeTruthy();
  });

  it('counts requests that were all refused, without a "last at" it does not know', async () => {
    renderOldKey({ lastUsedAt: null }, hourlyUsage(2, { 1: { ipNotAllowed: 2 } }));
    const notice = await screen.findByTestId('key-still-in-use');
    expect(notice.textContent).toMatch(/^Still in use: 2 requests since .+ \(2 of them refused\)\. Move that caller/);
  });

  it('is not shown for a key that was not rolled, or whose grace is over', async () => {
    const { requests } = renderWithTrpc(<ApiKeyDetailPage id="key_old" />, {
      'apiKeys.get': { data: apiKeyDetailFixture({ rolledToId: 'key_new', isActive: false, revokedAt: ago(MIN) }) },
      'apiKeys.usage': { data: hourlyUsage(25) },
    });
    await screen.findByText('No requests in the last 24 hours');
    expect(screen.queryByTestId('key-still-in-use')).toBeNull();
    expect(screen.queryByTestId('key-gone-quiet')).toBeNull();
    expect(requests.filter((r) => r.path === 'apiKeys.usage' && (r.input as UsageInput).from)).toEqual([]);
  });
});

describe('the key list', () => {
  it('flags an old key still called in the last hour, and calls one that is not quiet', async () => {
    renderWithTrpc(<ApiKeysPage />, {
      'apiKeys.list': {
        data: [
          apiKeyListItemFixture({ id: 'k1', name: 'busy-old', ...rolled, lastUsedAt: ago(10 * MIN) }),
          apiKeyListItemFixture({ id: 'k2', name: 'quiet-old', ...rolled, lastUsedAt: ago(90 * MIN) }),
          apiKeyListItemFixture({ id: 'k3', name: 'fresh', lastUsedAt: ago(MIN) }),
        ],
      },
    });
    const rows = await screen.findAllByTestId('api-key-row');
    const [busy, quiet, fresh] = rows.map((r) => within(r));
    const flag = busy!.getByTestId('rolled-key-still-called');
    expect(flag.textContent).toMatch(/^Still called\. Used 10 minutes ago although it was rolled/);
    expect(flag.getAttribute('title')).toMatch(/^Used 10 minutes ago although it was rolled: move its caller to the new key/);
    expect(busy!.queryByTestId('rolled-key-quiet')).toBeNull();
    expect(quiet!.getByTestId('rolled-key-quiet').textContent).toBe('Quiet. Not used in the last hour: it can be revoked.');
    expect(quiet!.queryByTestId('rolled-key-still-called')).toBeNull();
    // A key that was never rolled gets neither.
    expect(fresh!.queryByTestId('rolled-key-still-called')).toBeNull();
    expect(fresh!.queryByTestId('rolled-key-quiet')).toBeNull();
  });
});
