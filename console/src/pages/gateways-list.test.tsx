import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Gateway } from '../api/client';
import { stubApi } from '../test-support/api-stub';
import { identityOf, renderPage } from '../test-support/page';
import { GatewaysList } from './GatewaysList';

vi.mock('../preload', () => ({ takePreloadedGateways: () => undefined }));

afterEach(() => {
  cleanup();
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

describe('VPN Gateways past the list limit', () => {
  test('says only the first 5,000 are shown, and an admin lists a typed owner through the API', async () => {
    // Prepare: pages that never end, of alice's gateways; carol owns gateways past them
    const seen = stubApi(({ query }) => {
      if (query.get('ownerId') === 'carol') return Response.json({ items: [gatewayOf('carol-gw', 'carol')] });
      const page = Number(query.get('nextToken') ?? 0);
      const items = Array.from({ length: 100 }, (_, i) => gatewayOf(`gw-${page}-${i}`, 'alice'));
      return Response.json({ items, nextToken: String(page + 1) });
    });
    // Act
    renderPage(<GatewaysList identity={identityOf('ops', true)} />);
    // Assess: the counter and a notice say more exist
    await screen.findByText('Showing the first 5,000 gateways', {}, { timeout: 8000 });
    expect(screen.getByText('(5000+)')).toBeTruthy();
    // Act: type carol, who is not among the loaded owners, in the Owner filter
    await userEvent.click(screen.getByRole('button', { name: /Filter by owner/ }));
    await userEvent.type(screen.getByLabelText('Owner id'), 'carol');
    await userEvent.click(await screen.findByRole('option', { name: /carol/ }));
    // Assess: the API was asked for carol's gateways
    await screen.findByRole('link', { name: 'carol-gw' });
    expect(seen.some((request) => request.query.get('ownerId') === 'carol')).toBe(true);
    expect(within(screen.getByRole('table')).queryByText(/^gw-0-/)).toBeNull();
  }, 20_000);
});
