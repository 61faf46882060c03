/** Gateway records for tests that bypass the API (persistence, workflows, events). */

import { generateKeyPairSync } from 'node:crypto';
import type { SecretStore } from '../../lambdas/app/ports';
import { clamp, type generateKeyPair } from '../../lambdas/core/keys';
import type { GatewayRecord } from '../../lambdas/core/types';

let counter = 0;

/**
 * A fresh X25519 key pair in WireGuard's base64, from Node's native crypto. The product derives
 * keys with tweetnacl (lambdas/core/keys.ts, checked against `wg` in test/unit/core/keys.test.ts);
 * in pure JS that costs about 16 ms a key under jest, where every test file loads it anew and
 * runs it unoptimised, and fixtures make thousands of keys in one run.
 */
export function fixtureKeyPair(): ReturnType<typeof generateKeyPair> {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const raw = (key: typeof publicKey, part: 'x' | 'd') =>
    Buffer.from(String(key.export({ format: 'jwk' })[part]), 'base64url');
  // Clamped as `wg genkey` prints it (X25519 clamps the scalar anyway: same public key).
  const scalar = Buffer.from(clamp(raw(privateKey, 'd')));
  return { publicKey: raw(publicKey, 'x').toString('base64'), privateKey: scalar.toString('base64') };
}

/** A distinct ACTIVE gateway: VPC 10.<n>.0.0/16, tunnel 100.64.<n>.0/24, public 203.0.113.<n>. */
export function gatewayRecord(overrides: Partial<GatewayRecord> = {}): GatewayRecord {
  counter += 1;
  const n = counter % 250;
  const id = overrides.id ?? `gw-${n}-${Math.random().toString(16).slice(2, 8)}`;
  const now = new Date().toISOString();
  return {
    id,
    name: `gateway-${n}`,
    ownerId: 'alice',
    vpcId: `vpc-${id}`,
    vpcCidr: `10.${n}.0.0/16`,
    location: 'local',
    tunnelSubnet: `100.64.${n}.0/24`,
    tunnelIp: `100.64.${n}.1`,
    publicIp: `203.0.113.${n}`,
    listenPort: 51820,
    publicKey: overrides.publicKey ?? fixtureKeyPair().publicKey,
    instanceId: `i-${id}`,
    status: 'ACTIVE',
    desiredGeneration: 0,
    privateKeyParam: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** A gateway whose private key the control plane holds, as registration without a key makes it. */
export async function gatewayWithKey(
  secrets: SecretStore,
  overrides: Partial<GatewayRecord> = {},
): Promise<{ record: GatewayRecord; privateKey: string }> {
  const keys = fixtureKeyPair();
  const record = gatewayRecord({ publicKey: keys.publicKey, ...overrides });
  const privateKeyParam = secrets.names.gatewayPrivateKey(record.id);
  await secrets.putIfAbsent(privateKeyParam, keys.privateKey);
  return { record: { ...record, privateKeyParam }, privateKey: keys.privateKey };
}
