/** The push lease's storage port, part of the Repository (storage-ports.ts re-exports it). */

/**
 * The one push in flight on a gateway (app/push-lease.ts, docs/DECISIONS.md "Coalescing a gateway's
 * pushes"): who took it (an execution's push loop), for which instance of which incarnation, until
 * when, and the command sent under it once there is one. It only spares commands: an instance
 * applies documents in order and skips stale ones, so two holders at once are never wrong.
 */
export interface PushLease {
  gatewayId: string;
  /** The execution that took it. */
  execution: string;
  /** Who took it: that execution's push loop (`<execution>/<loop state>`). */
  leaseHolder: string;
  gatewayCreatedAt: string;
  instanceId: string;
  expiresAt: string;
  /** The command sent under it, once recorded (with the generation and delivery time of its push). */
  commandId?: string;
  generation?: number;
  deliveredAt?: string;
}

export interface PushLeaseStore {
  /**
   * Takes the gateway's push lease for `lease.leaseHolder`: written when there is none, or it expired at
   * `now`, or it was taken for another incarnation or instance than `lease`'s, or by another push
   * loop of `lease`'s execution (core/push-lease.ts pushLeaseFree); the stored one,
   * unchanged, when `lease.leaseHolder` holds it already (a retried step finds its command); undefined
   * when another holder has it.
   */
  takePushLease(lease: PushLease, now: string): Promise<PushLease | undefined>;
  /** The gateway's push lease as stored, expired or not (a waiter's try reads only this). */
  getPushLease(gatewayId: string): Promise<PushLease | undefined>;
  /** Records the command sent under `lease` (its holder and expiry), if that lease is still the stored one. */
  recordPushLeaseCommand(
    lease: PushLease & Required<Pick<PushLease, 'commandId' | 'generation' | 'deliveredAt'>>,
  ): Promise<void>;
  /** Frees the lease if `holder` holds it. Idempotent. */
  releasePushLease(gatewayId: string, holder: string): Promise<void>;
}
