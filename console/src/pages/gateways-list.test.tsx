import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import openapi from '../../../lambdas/openapi/openapi.json';
import type { Gateway } from '../api/client';
import { stubApi } from '../test-support/api-stub';
import { identityOf, renderPage } from '../test-support/page';
import { GatewaysList } from './GatewaysList';

vi.mock('../preload', () => ({ takePreloadedGateways: () => undefined }));

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', '/');
  vi.unstubAllGlobals();
});

const gatewayOf = (id: string, ownerId: string): Gateway => ({
  id,
  name: id,
  ownerId,
  vpcId: `vpc-${id}`,
  vpcCidr: '10.10.0.0/16',
  tunnelSubnet: '100.64.0.0/24',
  tunnelIp: '100.64.0.1',
  publicIp: '203.0.113.1',
  listenPort: 51820,
  publicKey: 'key',
  instanceId: `i-${id}`,
  status: 'ACTIVE',
});

describe('VPN Gateways, a page at a time', () => {
  test('reads the first page only, the next by its token, and an admin lists a typed owner through the API', async () => {
    // Prepare: pages that never end, of alice's gateways; carol owns gateways past them
    const seen = stubApi(({ query }) => {
      if (query.get('ownerId') === 'carol') return Response.json({ items: [gatewayOf('carol-gw', 'carol')] });
      const page = Number(query.get('nextToken') ?? 0);
      const items = Array.from({ length: 20 }, (_, i) => gatewayOf(`gw-${page}-${i}`, 'alice'));
      return Response.json({ items, nextToken: String(page + 1) });
    });
    // Act
    renderPage(<GatewaysList identity={identityOf('ops', true)} />);
    // Assess: one request of 20, the counter says more exist, the pager is open-ended
    await screen.findByRole('link', { name: 'gw-0-0' });
    expect(seen.map((request) => request.query.toString())).toEqual(['limit=20']);
    expect(screen.getByText('(20+)')).toBeTruthy();
    // Act: next page
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    // Assess: page 2 by page 1's token, then back to page 1 by its own
    await screen.findByRole('link', { name: 'gw-1-0' });
    expect(seen[1]?.query.get('nextToken')).toBe('1');
    expect(screen.getByText('(40+)')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    await screen.findByRole('link', { name: 'gw-0-0' });
    expect(seen[2]?.query.get('nextToken')).toBeNull();
    // Act: type carol, who is not among the owners seen, in the Owner filter
    await userEvent.click(screen.getByRole('button', { name: /Filter by owner/ }));
    await userEvent.type(screen.getByLabelText('Owner id'), 'carol');
    await userEvent.click(await screen.findByRole('option', { name: /carol/ }));
    // Assess: the API was asked for carol's first page, and the counter is exact
    await screen.findByRole('link', { name: 'carol-gw' });
    const carols = seen.filter((request) => request.query.get('ownerId') === 'carol');
    expect(carols.map((request) => request.query.get('nextToken'))).toEqual([null]);
    expect(within(screen.getByRole('table')).queryByText(/^gw-0-/)).toBeNull();
    expect(screen.getByText('(1)')).toBeTruthy();
    expect(window.location.search).toBe('?ownerId=carol');
  }, 20_000);
});

describe('VPN Gateways that could not be read', () => {
  test('a first read answered 429 says so with Retry, never "(0)" or "No gateways"; Retry waits, then reads', async () => {
    // Prepare: the first read is throttled for 1 s
    let reads = 0;
    stubApi(() => {
      reads += 1;
      return reads === 1
        ? Response.json(
            { error: { code: 'THROTTLED', message: 'Too many requests from this caller; retry in 1 s' } },
            { status: 429, headers: { 'retry-after': '1' } },
          )
        : Response.json({ items: [gatewayOf('gw-a', 'alice')] });
    });
    // Act
    renderPage(<GatewaysList identity={identityOf('alice')} />);
    // Assess
    const table = within(screen.getByRole('table'));
    await table.findByText('Gateways could not be loaded');
    expect(table.getByText('THROTTLED: Too many requests from this caller; retry in 1 s')).toBeTruthy();
    expect(screen.queryByText('(0)')).toBeNull();
    expect(screen.queryByText('No gateways')).toBeNull();
    // Act
    const startedAt = Date.now();
    await userEvent.click(table.getByRole('button', { name: 'Retry after 1 s' }));
    // Assess
    await screen.findByRole('link', { name: 'gw-a' }, { timeout: 3000 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
    expect(screen.getByText('(1)')).toBeTruthy();
  });
});

describe('VPN Gateways: the status filter', () => {
  test('a user chooses ERROR: sent as status=, from page 1, kept in the address; none says so, and Clear filters lists every gateway', async () => {
    // Prepare: alice on page 2 of her endless list; none of hers is in ERROR
    window.history.replaceState(null, '', '/gateways');
    const seen = stubApi(({ query }) => {
      if (query.get('status') === 'ERROR') return Response.json({ items: [] });
      const page = Number(query.get('nextToken') ?? 0);
      const items = Array.from({ length: 20 }, (_, i) => gatewayOf(`gw-${page}-${i}`, 'alice'));
      return Response.json({ items, nextToken: String(page + 1) });
    });
    renderPage(<GatewaysList identity={identityOf('alice')} />);
    await screen.findByRole('link', { name: 'gw-0-0' });
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByRole('link', { name: 'gw-1-0' });
    // Assess: users have no owner filter
    expect(screen.queryByRole('button', { name: /Filter by owner/ })).toBeNull();
    // Act: Status ERROR
    await userEvent.click(screen.getByRole('button', { name: /Filter by status/ }));
    await userEvent.click(await screen.findByRole('option', { name: /^ERROR/ }));
    // Assess: asked without a token, said as such, in the address
    const table = within(screen.getByRole('table'));
    await table.findByText('No ERROR gateways');
    expect(seen.at(-1)?.query.toString()).toBe('limit=20&status=ERROR');
    expect(screen.queryByText('No gateways')).toBeNull();
    expect(window.location.search).toBe('?status=ERROR');
    // Act
    await userEvent.click(table.getByRole('button', { name: 'Clear filters' }));
    // Assess: page 1 of every gateway, the address cleared, the focus on the heading
    await screen.findByRole('link', { name: 'gw-0-0' });
    expect(seen.at(-1)?.query.toString()).toBe('limit=20');
    expect(window.location.search).toBe('');
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 }));
  }, 20_000);

  test('offers exactly the statuses of the OpenAPI document', async () => {
    // Prepare
    stubApi(() => Response.json({ items: [gatewayOf('gw-a', 'alice')] }));
    renderPage(<GatewaysList identity={identityOf('alice')} />);
    await screen.findByRole('link', { name: 'gw-a' });
    // Act
    await userEvent.click(screen.getByRole('button', { name: /Filter by status/ }));
    // Assess
    const offered = (await screen.findAllByRole('option')).map((option) => option.textContent);
    expect(offered[0]).toContain('All statuses'); // the one selected, named twice for screen readers
    expect(offered.slice(1)).toEqual(openapi.components.schemas.GatewayStatusValue.enum);
  });
});

describe('VPN Gateways after a failed read of another page or filter', () => {
  test('a next page that fails shows the failure under page 2, not page 1 as page 2; Previous shows page 1', async () => {
    // Prepare: alice's endless list, its page 2 answered 503
    window.history.replaceState(null, '', '/gateways');
    stubApi(({ query }) => {
      const page = Number(query.get('nextToken') ?? 0);
      if (page === 1)
        return Response.json({ error: { code: 'UNAVAILABLE', message: 'Try later' } }, { status: 503 });
      const items = Array.from({ length: 20 }, (_, i) => gatewayOf(`gw-${page}-${i}`, 'alice'));
      return Response.json({ items, nextToken: String(page + 1) });
    });
    renderPage(<GatewaysList identity={identityOf('alice')} />);
    await screen.findByRole('link', { name: 'gw-0-0' });
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    // Assess: page 2 is current and failed; no row of page 1; no filter to clear
    const table = within(screen.getByRole('table'));
    await table.findByText('Gateways could not be loaded');
    expect(table.queryByRole('link', { name: 'gw-0-0' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Page 2' }).getAttribute('aria-current')).toBe('true');
    expect(table.queryByRole('button', { name: 'Clear filters' })).toBeNull();
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    // Assess
    await screen.findByRole('link', { name: 'gw-0-0' });
  }, 15_000);

  test('an owner id the API refuses (400) offers Clear filters beside Retry, which lists every gateway', async () => {
    // Prepare: an admin's link with an owner id the API does not take
    window.history.replaceState(null, '', '/gateways?ownerId=bad%20id');
    const seen = stubApi(({ query }) =>
      query.get('ownerId')
        ? Response.json(
            { error: { code: 'VALIDATION_ERROR', message: 'ownerId is not valid', field: 'ownerId' } },
            { status: 400 },
          )
        : Response.json({ items: [gatewayOf('gw-a', 'alice')] }),
    );
    renderPage(<GatewaysList identity={identityOf('ops', true)} />);
    const table = within(screen.getByRole('table'));
    await table.findByText('Gateways could not be loaded');
    expect(table.getByRole('button', { name: 'Retry' })).toBeTruthy();
    // Act
    await userEvent.click(table.getByRole('button', { name: 'Clear filters' }));
    // Assess: every gateway, no owner sent, the address cleared, the focus on the heading
    await screen.findByRole('link', { name: 'gw-a' });
    expect(seen.map((request) => request.query.toString())).toEqual(['limit=20&ownerId=bad+id', 'limit=20']);
    expect(window.location.search).toBe('');
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 }));
  }, 15_000);
});
