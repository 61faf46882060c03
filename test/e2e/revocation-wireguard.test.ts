/**
 * Revocation on real WireGuard (docs/DECISIONS.md, "Hardening", Revocation): a road-warrior client
 * in its own namespace handshakes with a wireguard-go gateway; once `DELETE .../peers/<name>`
 * answers 204 the gateway holds no trace of its key, and the client can no longer complete a
 * handshake, even a fresh one. A re-added name gets another key pair, which works, while the
 * revoked device still cannot. Needs what test/support/wireguard-runtime.ts names.
 */
import { ExtraHosts } from '../support/topology';
import { eventually, useWireguardRuntime } from '../support/wireguard-runtime';

const suite = useWireguardRuntime('revocation', { storage: 'memory' });
let extra: ExtraHosts;

afterAll(() => extra?.teardown());

const privateKeyOf = (config: string) => /^PrivateKey = (.+)$/m.exec(config)?.[1];

interface Client {
  namespace: string;
  publicKey: string;
  privateKey: string | undefined;
}

/** Adds road-warrior `phone` and starts a client from its downloaded config at `address`. */
async function addPhone(hostName: string, address: string): Promise<Client> {
  const added = await suite.api('POST', '/v1/gateways/gwr/peers', { name: 'phone' });
  expect(added.status).toBe(201);
  const config = await suite.api('GET', '/v1/gateways/gwr/peers/phone/config');
  expect(config.status).toBe(200);
  const namespace = await extra.addInternetHost(hostName, address);
  await extra.startClient(namespace, config.text);
  return { namespace, publicKey: added.json().publicKey, privateKey: privateKeyOf(config.text) };
}

/**
 * Forces a new handshake (the peer is set again, so any handshake time it shows is a new one), sends
 * traffic that needs it, and tells whether one completed.
 */
async function handshakes(client: Client): Promise<boolean> {
  extra.forceNewHandshake(client.namespace);
  const reached = await suite.ping(client.namespace, suite.hostOf('gwr').instanceIp);
  return reached || extra.latestHandshake(client.namespace) > 0;
}

describe('revoking a road-warrior on a real WireGuard gateway', () => {
  let revoked: Client;

  it('lets a road-warrior complete a handshake and reach the VPC', async () => {
    // Prepare
    await suite.registerGateway('gwr', '10.20.0.0/16', '100.64.5.0/24', '203.0.113.21');
    extra = new ExtraHosts(suite.runtime().hosts);
    // Act
    revoked = await addPhone('phone', '203.0.113.61');
    // Assess
    await eventually(() => suite.ping(revoked.namespace, suite.hostOf('gwr').instanceIp), 'phone → VPC');
    expect(extra.latestHandshake(revoked.namespace)).toBeGreaterThan(0);
    expect((await suite.wgPeers('gwr')).map((p) => p.publicKey)).toContain(revoked.publicKey);
    expect(await handshakes(revoked)).toBe(true);
  });

  it('answers 204 only once the gateway dropped the key: the client can no longer handshake', async () => {
    // Act
    const deleted = await suite.api('DELETE', '/v1/gateways/gwr/peers/phone');
    // Assess: 204 means applied, so no waiting here
    expect(deleted.status).toBe(204);
    expect((await suite.wgPeers('gwr')).map((p) => p.publicKey)).not.toContain(revoked.publicKey);
    expect(await suite.ping(revoked.namespace, suite.hostOf('gwr').instanceIp)).toBe(false);
    expect(await handshakes(revoked)).toBe(false);
    expect(extra.latestHandshake(revoked.namespace)).toBe(0);
  });

  it('gives the re-added name a fresh key pair that works, while the revoked device stays out', async () => {
    // Act
    const renewed = await addPhone('phone2', '203.0.113.62');
    // Assess
    expect(renewed.privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(renewed.privateKey).not.toBe(revoked.privateKey);
    expect(renewed.publicKey).not.toBe(revoked.publicKey);
    await eventually(() => suite.ping(renewed.namespace, suite.hostOf('gwr').instanceIp), 'new phone → VPC');
    expect(await handshakes(renewed)).toBe(true);
    expect(await handshakes(revoked)).toBe(false);
  });

  it('leaves no namespace behind after teardown', () => {
    extra.teardown();
    expect(extra.leftovers()).toEqual([]);
  });
});
