import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { navigationItems } from '../App';
import type { GatewayStatus, Peer } from '../api/client';
import { candidateOption } from '../pages/CreatePeering';
import { DeletePeerModal } from './peer-modals';
import { PeersTable } from './peers-table';
import type { RetryWait } from './retry-wait';

afterEach(cleanup);

const noWait: RetryWait = {
  secondsLeft: 0,
  reason: undefined,
  send: (request) => request,
  holds: () => false,
};

const gateway = {
  id: 'gw-c',
  name: 'dev',
  ownerId: 'alice',
  vpcId: 'vpc-c',
  vpcCidr: '10.10.0.0/16',
  tunnelSubnet: '100.64.2.0/24',
  tunnelIp: '100.64.2.1',
  publicIp: '203.0.113.3',
  listenPort: 51820,
  publicKey: 'key',
  instanceId: 'i-c',
  status: 'ACTIVE' as const,
};

describe('side navigation', () => {
  test('users see Networking, admins Connectivity, both with the two links', () => {
    for (const [isAdmin, section] of [
      [false, 'Networking'],
      [true, 'Connectivity'],
    ] as const) {
      const [only] = navigationItems(isAdmin);
      expect(only?.text).toBe(section);
      expect(only?.items.map((item) => item.text)).toEqual(['VPN Gateways', 'VPC Peerings']);
    }
  });
});

describe('Remote Gateway options', () => {
  test('an ineligible candidate is disabled and shows its reason', () => {
    const option = candidateOption({
      gateway,
      eligible: false,
      reason: 'The VPC CIDRs of the two gateways overlap',
    });
    expect(option.disabled).toBe(true);
    expect(option.description).toContain('The VPC CIDRs of the two gateways overlap');
    expect(option.disabledReason).toBe('The VPC CIDRs of the two gateways overlap');
  });

  test('an eligible candidate is selectable', () => {
    expect(candidateOption({ gateway, eligible: true, reason: null }).disabled).toBe(false);
  });
});

describe('delete peer dialog', () => {
  test("a vpc-peering peer's dialog says the remote side goes too", () => {
    render(
      <DeletePeerModal
        gatewayName="prod"
        peerName="vpc-peering-pcx1"
        busy={false}
        wait={noWait}
        onConfirm={vi.fn()}
        onCancel={vi.fn()}
      />,
    );
    expect(screen.getByRole('dialog').textContent).toContain("The remote gateway's peer is removed too");
    expect(screen.getByRole('button', { name: 'Delete' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
  });

  test("a road-warrior's dialog does not", () => {
    render(
      <DeletePeerModal
        gatewayName="prod"
        peerName="laptop"
        busy={false}
        wait={noWait}
        onConfirm={vi.fn()}
        onCancel={vi.fn()}
      />,
    );
    expect(screen.getByRole('dialog').textContent).not.toContain('remote gateway');
  });
});

describe('peers table', () => {
  const peers: Peer[] = [
    {
      name: 'laptop',
      type: 'road-warrior',
      publicKey: 'k1',
      tunnelIp: '100.64.0.3',
      allowedIps: ['100.64.0.3/32'],
      endpoint: null,
    },
    {
      name: 'phone',
      type: 'road-warrior',
      publicKey: 'k2',
      tunnelIp: '100.64.0.4',
      allowedIps: ['100.64.0.4/32'],
      endpoint: null,
    },
  ];
  const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
  const status: GatewayStatus = {
    gatewayId: 'gw-a',
    appliedGeneration: 2,
    appliedAt: secondsAgo(900),
    desiredGeneration: 2,
    mode: 'wireguard',
    reportedAt: new Date().toISOString(),
    reportAgeSeconds: 0,
    stale: false,
    peers: [
      {
        name: 'laptop',
        type: 'road-warrior',
        publicKey: 'k1',
        allowedIps: [],
        endpoint: '198.51.100.9:4500',
        latestHandshake: secondsAgo(30),
        online: true,
        rxBytes: 2048,
        txBytes: 0,
      },
      {
        name: 'phone',
        type: 'road-warrior',
        publicKey: 'k2',
        allowedIps: [],
        endpoint: null,
        latestHandshake: secondsAgo(600),
        online: false,
        rxBytes: 0,
        txBytes: 0,
      },
    ],
  };

  /** The table as the details page renders it, with no-op actions. */
  const peersTable = (
    registry: Peer[] | undefined,
    shown: GatewayStatus = status,
    read: { truncated?: boolean; current?: boolean } = {},
  ) => (
    <PeersTable
      peers={registry}
      peersTruncated={read.truncated ?? false}
      registryCurrent={read.current ?? true}
      deleting={new Set()}
      status={shown}
      loading={false}
      onAddPeer={vi.fn()}
      onDelete={vi.fn()}
      onDownload={vi.fn()}
      onShowQr={vi.fn()}
    />
  );

  test('joins live status by key: online badge, relative handshake, transfer', () => {
    render(peersTable(peers));
    const [, laptop, phone] = screen.getAllByRole('row');
    expect(laptop?.textContent).toContain('Online');
    expect(laptop?.textContent).toMatch(/\d+ seconds ago/);
    expect(laptop?.textContent).toContain('2.0 KiB received');
    expect(phone?.textContent).toContain('Offline');
    expect(screen.getAllByRole('button', { name: 'Download config' })).toHaveLength(2);
  });

  test("says which road-warriors' configs are outdated, downloaded, or never downloaded", () => {
    // Prepare
    const [laptop, phone] = peers as [Peer, Peer];
    const downloadedAt = new Date(Date.now() - 120_000).toISOString();

    // Act
    render(
      peersTable([
        { ...laptop, configDownloadedAt: downloadedAt, configOutdated: true },
        { ...phone, configDownloadedAt: downloadedAt, configOutdated: false },
        { ...phone, name: 'tablet', publicKey: 'k3', configDownloadedAt: null, configOutdated: false },
      ]),
    );

    // Assess
    const [, outdated, current, never] = screen.getAllByRole('row');
    expect(outdated?.textContent).toContain('Outdated: download the config again');
    expect(current?.textContent).toContain('Downloaded 2 minutes ago');
    expect(current?.textContent).not.toContain('Outdated');
    expect(never?.textContent).toContain('Not downloaded');
  });

  test('a stale report says Unknown, not Offline, and the header gives its date and time', () => {
    // Prepare: the gateway last reported three days ago
    const reportedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const stale: GatewayStatus = {
      ...status,
      reportedAt,
      reportAgeSeconds: 3 * 86_400,
      stale: true,
      peers: status.peers.map((peer) => ({ ...peer, online: false })),
    };

    // Act
    render(peersTable(peers, stale));

    // Assess
    const [, laptop, phone] = screen.getAllByRole('row');
    for (const row of [laptop, phone]) {
      expect(row?.textContent).toContain('Unknown');
      expect(row?.textContent).not.toMatch(/Offline|Online/);
    }
    expect(laptop?.textContent).toMatch(/\d+ seconds ago/);
    const description = screen.getByText(/as of the gateway's last report/).textContent;
    expect(description).toContain(`last report, at ${new Date(reportedAt).toLocaleString()}.`);
    expect(description).toContain('whether peers are online is unknown');
  });

  test('a peer the registry no longer has but the gateway still runs is listed as removed, with its handshake', () => {
    // Prepare: laptop was revoked (its removal's push failed); the gateway still reports it online
    const [, phone] = peers as [Peer, Peer];
    // Before the registry is loaded, no peer can be told removed
    const { rerender } = render(peersTable(undefined));
    expect(screen.queryByText(/Removed, still on the gateway/)).toBeNull();

    // Act
    rerender(peersTable([phone]));

    // Assess: both rows; laptop says it is still there, online, and offers nothing to act on
    const [, ...rows] = screen.getAllByRole('row');
    expect(rows).toHaveLength(2);
    const laptop = rows.find((row) => row.textContent?.includes('laptop'));
    expect(laptop?.textContent).toContain(
      'Removed, still on the gatewayRemoval pending: it can still connect.',
    );
    expect(laptop?.textContent).toContain('Online');
    expect(laptop?.textContent).toContain('198.51.100.9:4500');
    expect(laptop?.textContent).toContain('2.0 KiB received');
    expect(laptop?.querySelectorAll('button')).toHaveLength(0);
    expect(screen.getByRole('heading', { name: /Peers/ }).textContent).toContain('(2)');
  });

  test('a registry cut short lists no peer as removed, and says the table covers only the peers read', () => {
    // Prepare: laptop is registered past the peers read; the gateway reports it online
    const [, phone] = peers as [Peer, Peer];

    // Act
    render(peersTable([phone], status, { truncated: true }));

    // Assess
    expect(screen.queryByText(/Removed, still on the gateway/)).toBeNull();
    expect(screen.getAllByRole('row')).toHaveLength(2);
    expect(screen.getByRole('heading', { name: /Peers/ }).textContent).toContain('(1+)');
    expect(screen.getByText(/Showing the first 1 peers: more exist/).textContent).toContain(
      'no peer is shown as removed',
    );
  });

  test('a registry not read since the status lists no peer as removed', () => {
    // Prepare
    const [, phone] = peers as [Peer, Peer];

    // Act
    render(peersTable([phone], status, { current: false }));

    // Assess
    expect(screen.queryByText(/Removed, still on the gateway/)).toBeNull();
    expect(screen.getByRole('heading', { name: /Peers/ }).textContent).toContain('(1)');
  });
});
