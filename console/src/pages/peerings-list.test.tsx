import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { notFound, stubApi } from '../test-support/api-stub';
import { identityOf, renderPage } from '../test-support/page';
import { PeeringsList } from './PeeringsList';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', '/');
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const peering = {
  id: 'pcx-1',
  ownerId: 'alice',
  gatewayIds: ['gw-a', 'gw-b'],
  status: 'ACTIVE',
  statusReason: null,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};

describe('VPC Peerings: Delete', () => {
  test('follows the deleted peering alone until it is gone, then reads the page once', async () => {
    // Prepare: the delete runs (202); the peering answers twice more, then 404
    let answersLeft = 2;
    const seen = stubApi(({ method, path }) => {
      if (method === 'DELETE') return new Response(null, { status: 202 });
      if (path === '/v1/vpc-peerings/pcx-1') {
        answersLeft -= 1;
        return answersLeft >= 0 ? Response.json({ ...peering, status: 'DELETING' }) : notFound();
      }
      if (path === '/v1/vpc-peerings') return Response.json({ items: answersLeft < 0 ? [] : [peering] });
      return notFound(); // the gateways' names: shown by id
    });
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    const row = await screen.findByRole('row', { name: /pcx-1/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Assess: three GETs of the peering, and the page read twice only (shown, then once after)
    await waitFor(() => expect(screen.queryByRole('row', { name: /pcx-1/ })).toBeNull(), { timeout: 8000 });
    const gets = (path: string) => seen.filter((r) => r.method === 'GET' && r.path === path).length;
    expect(gets('/v1/vpc-peerings/pcx-1')).toBe(3);
    expect(gets('/v1/vpc-peerings')).toBe(2);
    expect(gets('/v1/gateways')).toBe(0);
  }, 15_000);
});

describe('VPC Peerings: a Delete whose push failed', () => {
  test('shows the error and reads the page again, where the deleted peering is gone', async () => {
    // Prepare: the delete is stored, but a gateway did not apply it (502 PUSH_FAILED)
    let deleted = false;
    const seen = stubApi(({ method, path }) => {
      if (method === 'DELETE') {
        deleted = true;
        return Response.json(
          {
            error: {
              code: 'PUSH_FAILED',
              message: 'The peering is deleted, but a gateway did not apply the removal',
            },
          },
          { status: 502 },
        );
      }
      if (path === '/v1/vpc-peerings') return Response.json({ items: deleted ? [] : [peering] });
      return notFound();
    });
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    const row = await screen.findByRole('row', { name: /pcx-1/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Assess: the API's words are shown, and the page, read again, no longer lists the peering
    expect(await screen.findByText(/a gateway did not apply the removal/)).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('row', { name: /pcx-1/ })).toBeNull());
    expect(seen.filter((r) => r.method === 'GET' && r.path === '/v1/vpc-peerings').length).toBe(2);
  }, 15_000);
});

describe('VPC Peerings: a throttled Delete', () => {
  test('keeps the dialog open, its Delete counting down the Retry-After, then deletes', async () => {
    // Prepare: the first DELETE is throttled for 2 s, the next one is done (204)
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    let deletes = 0;
    stubApi(({ method, path }) => {
      if (method === 'DELETE') {
        deletes += 1;
        return deletes === 1
          ? Response.json(
              { error: { code: 'THROTTLED', message: 'Too many requests from this caller; retry in 2 s' } },
              { status: 429, headers: { 'retry-after': '2' } },
            )
          : new Response(null, { status: 204 });
      }
      if (path === '/v1/vpc-peerings') return Response.json({ items: deletes > 1 ? [] : [peering] });
      return Response.json({ items: [] });
    });
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    const row = await screen.findByRole('row', { name: /pcx-1/ });
    // Act
    await user.click(within(row).getByRole('button', { name: 'Delete' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Assess: still open, Delete held with the count; a click meanwhile sends nothing
    const held = await within(screen.getByRole('dialog')).findByRole('button', { name: 'Try again in 2 s' });
    await user.click(held);
    expect(deletes).toBe(1);
    // Act: the wait is out; Delete again
    await act(async () => vi.advanceTimersByTime(2000));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Assess
    await waitFor(() => expect(screen.queryByRole('row', { name: /pcx-1/ })).toBeNull());
    expect(deletes).toBe(2);
  }, 15_000);
});

describe('VPC Peerings, a page at a time', () => {
  test("reads one page, names only that page's gateways, and the next page by its token", async () => {
    // Prepare: pages of peerings that never end, between gateways named after their ids
    const seen = stubApi(({ path, query }) => {
      if (path.startsWith('/v1/gateways/')) {
        const id = path.slice('/v1/gateways/'.length);
        return Response.json({ id, name: `name-of-${id}` });
      }
      const page = Number(query.get('nextToken') ?? 0);
      const items = Array.from({ length: 20 }, (_, i) => ({
        ...peering,
        id: `pcx-${page}-${i}`,
        gatewayIds: [`gw-${page}`, `gw-${page}-${i}`],
      }));
      return Response.json({ items, nextToken: String(page + 1) });
    });
    // Act
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    // Assess: one page of 20, its 21 gateways named once each, the counter open
    const row = await screen.findByRole('row', { name: /pcx-0-3/ });
    expect(within(row).getByRole('link', { name: 'name-of-gw-0-3' })).toBeTruthy();
    const lists = () => seen.filter((r) => r.path === '/v1/vpc-peerings');
    expect(lists().map((r) => r.query.toString())).toEqual(['limit=20']);
    expect(seen.filter((r) => r.path.startsWith('/v1/gateways/'))).toHaveLength(21);
    expect(screen.getByText('(20+)')).toBeTruthy();
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    // Assess
    await screen.findByRole('row', { name: /pcx-1-3/ });
    expect(lists()[1]?.query.get('nextToken')).toBe('1');
    expect(screen.getByText('(40+)')).toBeTruthy();
  }, 15_000);
});

describe('VPC Peerings that could not be read', () => {
  test('a first read that got no answer says so with Retry, never "(0)" or "No VPC peerings"', async () => {
    // Prepare: the first read gets no answer at all
    let reads = 0;
    stubApi(({ path }) => {
      if (path !== '/v1/vpc-peerings') return notFound();
      reads += 1;
      if (reads === 1) throw new TypeError('Failed to fetch');
      return Response.json({ items: [peering] });
    });
    // Act
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    // Assess
    const table = within(screen.getByRole('table'));
    await table.findByText('VPC peerings could not be loaded');
    expect(screen.queryByText('(0)')).toBeNull();
    expect(screen.queryByText('No VPC peerings')).toBeNull();
    // Act
    await userEvent.click(table.getByRole('button', { name: 'Retry' }));
    // Assess
    await screen.findByRole('row', { name: /pcx-1/ });
    expect(screen.getByText('(1)')).toBeTruthy();
  });
});

/**
 * An API of endless pages of peerings in the status and of the owner asked for (ACTIVE and mixed
 * owners when unasked), between gateways owned by the owner their id names (`gw-carol-…`).
 */
function filteringApi(pages = Number.POSITIVE_INFINITY) {
  return stubApi(({ path, query }) => {
    if (path.startsWith('/v1/gateways/')) {
      const id = path.slice('/v1/gateways/'.length);
      return Response.json({ id, name: `name-of-${id}`, ownerId: id.split('-')[1] });
    }
    const status = query.get('status') ?? 'ACTIVE';
    const owner = query.get('ownerId') ?? 'alice';
    const page = Number(query.get('nextToken') ?? 0);
    const items = Array.from({ length: 20 }, (_, i) => ({
      ...peering,
      id: `pcx-${status}-${owner}-${page}-${i}`,
      ownerId: owner,
      gatewayIds: [`gw-${owner}-a${i}`, `gw-${owner}-b${i}`],
      status,
    }));
    return Response.json(page + 1 < pages ? { items, nextToken: String(page + 1) } : { items });
  });
}

const peeringLists = (seen: { path: string; query: URLSearchParams }[]) =>
  seen.filter((r) => r.path === '/v1/vpc-peerings').map((r) => r.query.toString());

async function choose(filter: RegExp, option: RegExp) {
  await userEvent.click(screen.getByRole('button', { name: filter }));
  await userEvent.click(await screen.findByRole('option', { name: option }));
}

describe('VPC Peerings: the server filters', () => {
  test('an admin chooses a status, then types an owner: each is sent, starts again from page 1 and is kept in the address', async () => {
    // Prepare: an admin on page 2 of every peering
    window.history.replaceState(null, '', '/peerings');
    const seen = filteringApi();
    renderPage(<PeeringsList identity={identityOf('ops', true)} />);
    await screen.findByRole('row', { name: /pcx-ACTIVE-alice-0-3/ });
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByRole('row', { name: /pcx-ACTIVE-alice-1-3/ });
    // Act: Status FAILED
    await choose(/Filter by status/, /^FAILED/);
    // Assess: page 1 of the FAILED peerings, asked without a token; the address says so
    await screen.findByRole('row', { name: /pcx-FAILED-alice-0-3/ });
    expect(peeringLists(seen).at(-1)).toBe('limit=20&status=FAILED');
    expect(screen.getByText('(20+)')).toBeTruthy();
    expect(window.location.pathname + window.location.search).toBe('/peerings?status=FAILED');
    // Act: Owner carol, typed (no page seen holds her)
    await userEvent.click(screen.getByRole('button', { name: /Filter by owner/ }));
    await userEvent.type(screen.getByLabelText('Owner id'), 'carol');
    await userEvent.click(await screen.findByRole('option', { name: /carol/ }));
    // Assess: both filters sent, page 1, in the address; the Owner column names carol
    const row = await screen.findByRole('row', { name: /pcx-FAILED-carol-0-3/ });
    expect(peeringLists(seen).at(-1)).toBe('limit=20&status=FAILED&ownerId=carol');
    expect(window.location.search).toBe('?status=FAILED&ownerId=carol');
    expect(within(row).getByRole('cell', { name: 'carol' })).toBeTruthy();
    expect(screen.getByRole('columnheader', { name: 'Owner' })).toBeTruthy();
  }, 20_000);

  test('a link (or a reload) of FAILED peerings of carol opens with them, and the owner filter offers the owners seen', async () => {
    // Prepare: the address of carol's FAILED peerings
    window.history.replaceState(null, '', '/peerings?status=FAILED&ownerId=carol');
    const seen = filteringApi();
    // Act
    renderPage(<PeeringsList identity={identityOf('ops', true)} />);
    // Assess: the first read is already filtered, and the filters show what is set
    await screen.findByRole('row', { name: /pcx-FAILED-carol-0-3/ });
    expect(peeringLists(seen)).toEqual(['limit=20&status=FAILED&ownerId=carol']);
    expect(screen.getByRole('button', { name: /Filter by status/ }).textContent).toContain('FAILED');
    expect(screen.getByRole('button', { name: /Filter by owner/ }).textContent).toContain('carol');
    // Act
    await userEvent.click(screen.getByRole('button', { name: /Filter by owner/ }));
    // Assess: carol is offered as an owner seen (her peerings'), not as typed
    const offered = await screen.findByRole('option', { name: 'carol' });
    expect(offered.textContent).not.toContain('as typed');
  }, 15_000);

  test("to an admin, the list and a peering's Delete speak of its owner's gateways, never the admin's", async () => {
    // Prepare
    filteringApi();
    renderPage(<PeeringsList identity={identityOf('ops', true)} />);
    const row = await screen.findByRole('row', { name: /pcx-ACTIVE-alice-0-3/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    // Assess
    expect(screen.getByText(/two gateways of one owner/)).toBeTruthy();
    expect(within(screen.getByRole('dialog')).getByText(/, gateways of alice, is removed/)).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/\byour\b/i);
  }, 15_000);

  test('a user has no owner filter nor Owner column, and an owner in the address is not sent', async () => {
    // Prepare: a link an admin made, opened by alice
    window.history.replaceState(null, '', '/peerings?status=FAILED&ownerId=carol');
    const seen = filteringApi();
    // Act
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    // Assess: her own FAILED peerings (the API would refuse carol's with 400)
    await screen.findByRole('row', { name: /pcx-FAILED-alice-0-3/ });
    expect(peeringLists(seen)).toEqual(['limit=20&status=FAILED']);
    expect(screen.queryByRole('button', { name: /Filter by owner/ })).toBeNull();
    expect(screen.queryByRole('columnheader', { name: 'Owner' })).toBeNull();
  }, 15_000);

  test('no FAILED peerings says so, and Clear filters reads every peering again and clears the address', async () => {
    // Prepare: no FAILED peering at all
    window.history.replaceState(null, '', '/peerings?status=FAILED');
    const seen = stubApi(({ path, query }) => {
      if (path !== '/v1/vpc-peerings') return notFound();
      return Response.json({ items: query.get('status') === 'FAILED' ? [] : [peering] });
    });
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    const table = within(screen.getByRole('table'));
    await table.findByText('No FAILED peerings');
    expect(screen.queryByText('No VPC peerings')).toBeNull();
    // Act
    await userEvent.click(table.getByRole('button', { name: 'Clear filters' }));
    // Assess: the heading has the focus the gone button had
    await screen.findByRole('row', { name: /pcx-1/ });
    expect(peeringLists(seen)).toEqual(['limit=20&status=FAILED', 'limit=20']);
    expect(window.location.search).toBe('');
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 }));
  }, 15_000);

  test('a find that matches nothing on a filtered page says which page, and Clear filters clears the find and the filters', async () => {
    // Prepare: a page of PROVISIONING peerings
    window.history.replaceState(null, '', '/peerings?status=PROVISIONING');
    const seen = filteringApi(1);
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    await screen.findByRole('row', { name: /pcx-PROVISIONING-alice-0-3/ });
    // Act: find something no row holds
    await userEvent.type(screen.getByLabelText('Filter the peerings of this page'), 'nowhere');
    // Assess
    const table = within(screen.getByRole('table'));
    expect(table.getByText(/looks at this page of PROVISIONING peerings only/)).toBeTruthy();
    // Act
    await userEvent.click(table.getByRole('button', { name: 'Clear filters' }));
    // Assess: every peering, no find left, the focus on the heading
    await screen.findByRole('row', { name: /pcx-ACTIVE-alice-0-3/ });
    expect(peeringLists(seen)).toEqual(['limit=20&status=PROVISIONING', 'limit=20']);
    expect((screen.getByLabelText('Filter the peerings of this page') as HTMLInputElement).value).toBe('');
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 }));
  }, 15_000);
});

describe('VPC Peerings: what a filtered list says it knows', () => {
  test('FAILED pages read empty while the API has more: none found so far, not none at all, and Next page reads on', async () => {
    // Prepare: the API's FAILED pages are empty with a token 7 times, then hold one
    window.history.replaceState(null, '', '/peerings?status=FAILED');
    const seen = stubApi(({ path, query }) => {
      if (path !== '/v1/vpc-peerings') return notFound();
      const page = Number(query.get('nextToken') ?? 0);
      const found = { ...peering, id: 'pcx-failed-found', status: 'FAILED' };
      return Response.json(page < 7 ? { items: [], nextToken: String(page + 1) } : { items: [found] });
    });
    // Act
    renderPage(<PeeringsList identity={identityOf('alice')} />);
    // Assess: one read and four followed; the text, counter and open pager agree
    const table = within(screen.getByRole('table'));
    await table.findByText('No FAILED peerings found so far');
    expect(peeringLists(seen)).toHaveLength(5);
    expect(table.queryByText('No FAILED peerings')).toBeNull();
    expect(screen.getByText('(0+)')).toBeTruthy();
    expect(table.getByRole('button', { name: 'Clear filters' })).toBeTruthy();
    // Act
    await userEvent.click(table.getByRole('button', { name: 'Next page' }));
    // Assess: read on from the last token, found; the focus on the heading
    await screen.findByRole('row', { name: /pcx-failed-found/ });
    expect(peeringLists(seen).at(5)).toBe('limit=20&nextToken=5&status=FAILED');
    expect(screen.getByText('(1)')).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 }));
  }, 15_000);

  test('a status whose read fails shows that failure with Retry and Clear filters, not the rows of every peering', async () => {
    // Prepare: an admin on the ACTIVE peerings of alice and bob; the FAILED read is answered 503
    window.history.replaceState(null, '', '/peerings');
    stubApi(({ path, query }) => {
      if (path !== '/v1/vpc-peerings') return notFound();
      if (query.get('status') === 'FAILED') {
        return Response.json({ error: { code: 'UNAVAILABLE', message: 'Try later' } }, { status: 503 });
      }
      return Response.json({ items: [peering, { ...peering, id: 'pcx-2', ownerId: 'bob' }] });
    });
    renderPage(<PeeringsList identity={identityOf('ops', true)} />);
    await screen.findByRole('row', { name: /pcx-2/ });
    // The Owner column is the peering's own ownerId, even with its gateways unreadable (404 here)
    expect(
      within(screen.getByRole('row', { name: /pcx-2/ })).getByRole('cell', { name: 'bob' }),
    ).toBeTruthy();
    // Act
    await choose(/Filter by status/, /^FAILED/);
    // Assess: no ACTIVE row under FAILED
    const table = within(screen.getByRole('table'));
    await table.findByText('VPC peerings could not be loaded');
    expect(screen.queryByRole('row', { name: /pcx-/ })).toBeNull();
    expect(table.getByRole('button', { name: 'Retry' })).toBeTruthy();
    // Act
    await userEvent.click(table.getByRole('button', { name: 'Clear filters' }));
    // Assess: every peering again, the address cleared, the focus on the heading
    await screen.findByRole('row', { name: /pcx-2/ });
    expect(window.location.search).toBe('');
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 }));
  }, 15_000);
});
