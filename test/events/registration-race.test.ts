/**
 * An admin's registration (POST /v1/gateways) and a first "VPN Gateway Updated" of the same unknown
 * id at once: both run under the gateway's update lease, so the event never replaces the public
 * key of a pair the control plane generated (review s14b).
 */
import { registerGateway } from '../../lambdas/app/api/gateways';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { GatewayUpdateInProgressError } from '../../lambdas/core/errors';
import { publicKeyFromPrivateKey } from '../../lambdas/core/keys';
import type { Gateway } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { eventDependencies } from '../support/events-fixture';
import { gatewayRecord } from '../support/gateways';
import { ownerLimits } from '../support/limits';
import { uniqueId } from '../support/records';

const LIMITS = ownerLimits({
  gatewaysPerOwner: 100,
  roadWarriorsPerGateway: 100,
  operationsInFlightPerOwner: 100,
  peeringsPerGateway: 100,
});
const ADMIN = { userId: 'ops', isAdmin: true };

it("leaves a generated key pair whole when the event's first update of the id runs at the same time", async () => {
  // Prepare: the registration (a generated pair: no key given) starts once the event has read no
  // gateway, and the event's registry write waits for the registration to end.
  const deps = { ...eventDependencies(), wait: () => Promise.resolve() };
  const { repository } = deps;
  const gateway = gatewayRecord({ id: uniqueId('gw') });
  const { publicKey: _eventsKey, ...withoutKey } = toPublicGateway(gateway);
  let registration: Promise<Gateway> | undefined;
  const getGateway = repository.getGateway.bind(repository);
  repository.getGateway = async (id) => {
    const read = await getGateway(id);
    registration ??= registerGateway(deps, ADMIN, withoutKey, undefined, LIMITS);
    return read;
  };
  const upsertGateway = repository.upsertGateway.bind(repository);
  repository.upsertGateway = async (record) => {
    await registration?.catch(() => undefined);
    return upsertGateway(record);
  };

  // Act
  const event = await gatewayUpdated(deps, toPublicGateway(gateway));
  const registered = await registration?.then(
    () => 'registered',
    (error: unknown) => error,
  );

  // Assess: the registration waited for the event's lease and was told to retry (503); the
  // gateway holds the event's key, and no private key name that does not match it.
  expect(registered).toBeInstanceOf(GatewayUpdateInProgressError);
  const stored = await getGateway(gateway.id);
  expect(stored?.publicKey).toBe(event.gateway.publicKey);
  const privateKey = stored?.privateKeyParam ? await deps.secrets.get(stored.privateKeyParam) : undefined;
  if (privateKey !== undefined) expect(publicKeyFromPrivateKey(privateKey)).toBe(stored?.publicKey);
  expect(stored?.privateKeyParam ?? null).toBeNull();
});
