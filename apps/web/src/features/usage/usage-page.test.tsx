import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import { keyUsageRow, workspaceUsageFixture } from './usage-fixtures.js';
import UsagePage from './usage-page.js';

const DAY = 86_400_000;
const fromOf = (input: unknown) => Date.parse((input as { from: string }).from);

describe('UsagePage', () => {
  it('lists the keys used in the last 30 days, most requests first, each linking to its key', async () => {
    const { requests } = renderWithTrpc(<UsagePage />, {
      'usage.workspace': {
        data: workspaceUsageFixture([
          keyUsageRow('key_a', { name: 'ci-deploy', prefix: 'pc_live_AAAA', ok: 1500, ipNotAllowed: 20, rateLimited: 3 }),
          keyUsageRow('key_b', { name: 'edge-old', prefix: 'pc_live_BBBB', isActive: false, ok: 4, expired: 6 }),
        ]),
      },
    });
    const rows = await screen.findAllByTestId('usage-row');
    expect(rows.map((r) => r.getAttribute('data-key-id'))).toEqual(['key_a', 'key_b']);
    const a = within(rows[0]!);
    expect(a.getByRole('link', { name: 'ci-deploy' }).getAttribute('href')).toBe('/keys/key_a');
    expect(a.getByText('pc_live_AAAA')).toBeTruthy();
    const numbers = (row: HTMLElement) => Object.fromEntries([...row.querySelectorAll('td[data-outcome]')].map((c) => [c.getAttribute('data-outcome'), c.textContent]));
    expect(numbers(rows[0]!)).toEqual({ total: '1,523', ok: '1,500', ipNotAllowed: '20', rateLimited: '3', expired: '0' });
    expect(a.getByText('Active')).toBeTruthy();
    expect(within(rows[1]!).getByText('Inactive')).toBeTruthy();
    expect(rows[1]!.className).toBe('row-inactive');

    expect(screen.getByTestId('usage-total').textContent).toBe('1,533 requests with 2 keys in the last 30 days');
    expect(within(screen.getByTestId('usage-legend')).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'OK 1,504',
      'IP not allowed 20',
      'Rate limited 3',
      'Expired 6',
    ]);
    expect((await screen.findByRole('img')).getAttribute('aria-label')).toMatch(/^Requests per key in the last 30 days/);

    // 30 days back from the start of an hour, so the query key holds still.
    const [input] = requests.filter((r) => r.path === 'usage.workspace').map((r) => r.input);
    expect(Object.keys(input as object)).toEqual(['from']);
    expect(fromOf(input) % 3_600_000).toBe(0);
    expect(Math.round((Date.now() - fromOf(input)) / DAY)).toBe(30);
  });

  it('charts the top 10 keys and lists them all', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => keyUsageRow(`key_${i}`, { ok: 100 - i }));
    renderWithTrpc(<UsagePage />, { 'usage.workspace': { data: workspaceUsageFixture(keys) } });
    expect(await screen.findAllByTestId('usage-row')).toHaveLength(12);
    expect(screen.getByRole('heading', { name: 'Top 10 keys' })).toBeTruthy();
  });

  it('asks for 7 or 90 days from the range picker', async () => {
    const user = userEvent.setup();
    const { requests } = renderWithTrpc(<UsagePage />, { 'usage.workspace': { data: workspaceUsageFixture([keyUsageRow('key_a', { ok: 1 })]) } });
    await screen.findAllByTestId('usage-row');
    await user.click(screen.getByRole('radio', { name: '7 days' }));
    await screen.findByText('with 1 key in the last 7 days', { exact: false });
    await user.click(screen.getByRole('radio', { name: '90 days' }));
    await screen.findByText('with 1 key in the last 90 days', { exact: false });
    await waitFor(() => {
      const days = requests.filter((r) => r.path === 'usage.workspace').map((r) => Math.round((Date.now() - fromOf(r.input)) / DAY));
      expect(days).toEqual([30, 7, 90]);
    });
  });

  it('says so when no key was used in the range', async () => {
    renderWithTrpc(<UsagePage />, { 'usage.workspace': { data: workspaceUsageFixture([]) } });
    await screen.findByText('No requests in the last 30 days');
    expect(screen.getByRole('link', { name: 'Go to API keys' }).getAttribute('href')).toBe('/keys');
    expect(screen.queryByRole('img')).toBeNull();
    expect(screen.queryByTestId('usage-table')).toBeNull();
  });
});
