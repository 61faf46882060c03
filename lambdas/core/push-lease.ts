/**
 * When a gateway's push lease (app/storage-ports.ts PushLease) may be taken: it expired, or it was
 * taken for another incarnation of the id or another instance than the one `wanted` is for (its
 * holder pushes to nothing the gateway is now), or by another push loop of the same execution (an
 * execution's loops on one gateway run one after another: the unpush after a failed push finds the
 * push's lease, left behind when its Parallel branch was stopped). Both repositories apply this one
 * rule (docs/DECISIONS.md "Coalescing a gateway's pushes").
 */
export function pushLeaseFree(
  stored: {
    execution: string;
    leaseHolder: string;
    gatewayCreatedAt: string;
    instanceId: string;
    expiresAt: string;
  },
  wanted: { execution: string; leaseHolder: string; gatewayCreatedAt: string; instanceId: string },
  now: string,
): boolean {
  return (
    stored.expiresAt <= now ||
    stored.gatewayCreatedAt !== wanted.gatewayCreatedAt ||
    stored.instanceId !== wanted.instanceId ||
    (stored.execution === wanted.execution && stored.leaseHolder !== wanted.leaseHolder)
  );
}
