/** The order of every list the API returns, whatever stores it. */
import type { GatewayRecord, Peering } from './types';

/** Code-unit comparison, not localeCompare: the order must not depend on the runtime's locale. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Gateways by id. */
export const byGatewayId = (a: GatewayRecord, b: GatewayRecord): number => compareText(a.id, b.id);

/** Peerings oldest first, then by id. */
export const byPeeringCreation = (a: Peering, b: Peering): number =>
  compareText(a.createdAt, b.createdAt) || compareText(a.id, b.id);
