import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderWithTrpc } from '../../test-utils.js';
import { KeyUsage } from './key-usage.js';
import { dailyUsage, hourlyUsage } from './usage-fixtures.js';

const inputsOf = (requests: { path: string; input: unknown }[], path: string) => requests.filter((r) => r.path === path).map((r) => r.input);
const granularityOf = (input: unknown) => (input as { granularity?: string }).granularity;
const cells = (row: HTMLElement) => within(row).getAllByRole('cell').map((c) => [c.getAttribute('data-outcome'), c.textContent]);

describe('KeyUsage', () => {
  it('shows the last 24 hours: totals by outcome, a chart, and every hour in a table', async () => {
    const usage = hourlyUsage(25, { 20: { ok: 7, ipNotAllowed: 2 }, 24: { ok: 1200, rateLimited: 3, expired: 1 } });
    const { requests } = renderWithTrpc(<KeyUsage id="key_1" />, { 'apiKeys.usage': { data: usage } });

    expect((await screen.findByTestId('key-usage-total')).textContent).toBe('1,213 requests in the last 24 hours');
    const legend = within(screen.getByTestId('usage-legend'));
    expect(legend.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['OK 1,207', 'IP not allowed 2', 'Rate limited 3', 'Expired 1']);
    // The server's default range: no from/to, so the query key stays put.
    expect(inputsOf(requests, 'apiKeys.usage')).toEqual([{ id: 'key_1', granularity: 'hour' }]);

    // The canvas is named for screen readers; the numbers are in a table, hidden until asked for.
    expect((await screen.findByRole('img')).getAttribute('aria-label')).toMatch(/^Requests per hour in the last 24 hours, stacked by outcome/);
    const table = screen.getByTestId('key-usage-table');
    expect(table.className).toBe('visually-hidden');
    // Newest first.
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(25);
    expect(rows.map((r) => r.getAttribute('data-start'))).toEqual(usage.data.map((b) => b.start).reverse());
    expect(cells(rows[4]!)).toEqual([
      ['ok', '7'],
      ['ipNotAllowed', '2'],
      ['rateLimited', '0'],
      ['expired', '0'],
      ['total', '9'],
    ]);
    expect(cells(rows[0]!).at(-1)).toEqual(['total', '1,204']);

    const toggle = screen.getByRole('button', { name: 'Show as a table' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await userEvent.setup().click(toggle);
    expect(table.className).not.toContain('visually-hidden');
    expect(screen.getByRole('button', { name: 'Hide the numbers' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('switches to the last 30 days by day', async () => {
    const user = userEvent.setup();
    const { requests } = renderWithTrpc(<KeyUsage id="key_1" />, {
      'apiKeys.usage': (input) => ({ data: granularityOf(input) === 'day' ? dailyUsage(30, { 29: { ok: 40 }, 3: { ipNotAllowed: 5 } }) : hourlyUsage(25, { 24: { ok: 1 } }) }),
    });
    await screen.findByText('1 request');
    await user.click(screen.getByRole('radio', { name: 'Last 30 days' }));
    expect((await screen.findByTestId('key-usage-total')).textContent).toBe('45 requests in the last 30 days');
    expect(inputsOf(requests, 'apiKeys.usage').map(granularityOf)).toEqual(['hour', 'day']);
    const table = screen.getByTestId('key-usage-table');
    expect(within(table).getByRole('columnheader', { name: 'Day (UTC)' })).toBeTruthy();
    expect(within(table).getAllByRole('row')).toHaveLength(31);
  });

  it('says so when the range has no request, without a chart', async () => {
    renderWithTrpc(<KeyUsage id="key_1" />, { 'apiKeys.usage': { data: hourlyUsage(25) } });
    await screen.findByText('No requests in the last 24 hours');
    expect(screen.queryByRole('img')).toBeNull();
    expect(screen.queryByTestId('key-usage-table')).toBeNull();
  });

  it('offers a retry when the usage cannot be loaded', async () => {
    const user = userEvent.setup();
    let calls = 0;
    renderWithTrpc(<KeyUsage id="key_1" />, {
      'apiKeys.usage': () =>
        ++calls === 1 ? { error: { message: 'Database is busy.', httpStatus: 503, appCode: 'unavailable' } } : { data: hourlyUsage(25, { 0: { ok: 2 } }) },
    });
    await screen.findByText('Could not load this key’s usage');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getByTestId('key-usage-total').textContent).toBe('2 requests in the last 24 hours'));
  });
});
