/** A road-warrior's view says whether its downloaded config is outdated (core/views.ts). */
import type { PeerRecord } from '../../../lambdas/core/types';
import { isClientConfigOutdated, toPublicPeer } from '../../../lambdas/core/views';

const CHANGED = '2026-12-05T10:00:00.000Z';
const EARLIER_CHANGE = '2026-12-01T10:00:00.000Z';
const DOWNLOADED = '2026-12-04T10:00:00.000Z';

function laptop(overrides: Partial<PeerRecord> = {}): PeerRecord {
  return {
    gatewayId: 'gw-a',
    name: 'laptop',
    type: 'road-warrior',
    publicKey: 'key-laptop',
    tunnelIp: '100.64.0.2',
    allowedIps: ['100.64.0.2/32'],
    endpoint: null,
    presharedKeyParam: null,
    privateKeyParam: 'secret-name',
    createdAt: '2026-11-25T00:00:00.000Z',
    ...overrides,
  };
}

describe('isClientConfigOutdated', () => {
  it.each([
    ['downloaded from the state before the last change', { downloadedConfigChangedAt: EARLIER_CHANGE }, true],
    ['downloaded before any change was recorded', {}, true],
    ['downloaded from the last change', { downloadedConfigChangedAt: CHANGED }, false],
  ])('a config %s', (_what, recorded, outdated) => {
    // Prepare
    const peer = laptop({ configDownloadedAt: DOWNLOADED, ...recorded });

    // Act
    const result = isClientConfigOutdated(peer, { clientConfigChangedAt: CHANGED });

    // Assess
    expect(result).toBe(outdated);
  });

  it('compares the change the config was rendered from, not the download time', () => {
    // Prepare: downloaded after the change began, from the registry still without it.
    const peer = laptop({ configDownloadedAt: '2026-12-05T10:00:05.000Z' });

    // Act
    const result = isClientConfigOutdated(peer, { clientConfigChangedAt: CHANGED });

    // Assess
    expect(result).toBe(true);
  });

  it('a config never downloaded (or before downloads were recorded) is not outdated', () => {
    // Act
    const result = isClientConfigOutdated(laptop(), { clientConfigChangedAt: CHANGED });

    // Assess
    expect(result).toBe(false);
  });

  it('nothing is outdated on a gateway whose key and endpoint never changed', () => {
    // Act
    const result = isClientConfigOutdated(laptop({ configDownloadedAt: DOWNLOADED }), {});

    // Assess
    expect(result).toBe(false);
  });
});

describe('toPublicPeer', () => {
  it("shows a road-warrior's download and whether it is outdated, never what it was rendered from", () => {
    // Prepare
    const peer = laptop({ configDownloadedAt: DOWNLOADED, downloadedConfigChangedAt: EARLIER_CHANGE });

    // Act
    const view = toPublicPeer(peer, { clientConfigChangedAt: CHANGED });

    // Assess
    expect(view).toEqual({
      name: 'laptop',
      type: 'road-warrior',
      publicKey: 'key-laptop',
      tunnelIp: '100.64.0.2',
      allowedIps: ['100.64.0.2/32'],
      endpoint: null,
      configDownloadedAt: DOWNLOADED,
      configOutdated: true,
    });
  });

  it('a road-warrior never downloaded shows null; a vpc-peering entry shows neither field', () => {
    // Prepare
    const entry = laptop({
      name: 'vpc-peering-pcx-1',
      type: 'vpc-peering',
      peeringId: 'pcx-1',
      remoteGatewayId: 'gw-b',
      presharedKeyParam: 'psk',
      privateKeyParam: null,
    });

    // Act
    const roadWarrior = toPublicPeer(laptop(), { clientConfigChangedAt: CHANGED });
    const peering = toPublicPeer(entry, { clientConfigChangedAt: CHANGED });

    // Assess
    expect(roadWarrior).toMatchObject({ configDownloadedAt: null, configOutdated: false });
    expect(peering).not.toHaveProperty('configDownloadedAt');
    expect(peering).not.toHaveProperty('configOutdated');
  });
});
