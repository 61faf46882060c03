/** The per-owner limits tests run under: 10 of each unless a test says otherwise. */
import type { OwnerLimits } from '../../lambdas/app/api/context';

export function ownerLimits(overrides: Partial<OwnerLimits> = {}): OwnerLimits {
  return {
    gatewaysPerOwner: 10,
    roadWarriorsPerGateway: 10,
    operationsInFlightPerOwner: 10,
    peeringsPerGateway: 10,
    ...overrides,
  };
}
