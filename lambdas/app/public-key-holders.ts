/**
 * Who holds a public key among a gateway's peers, for the checks that keep one holder per key on a
 * gateway (WireGuard tells peers apart by key): the key items, one batched read for all the
 * gateways asked; only a gateway whose items may be incomplete (entries older than the items, its
 * backfill not finished) has its peers read instead. docs/DECISIONS.md, "Public-key items for older
 * peer entries".
 */
import type { Dependencies } from './ports';

/**
 * Of `gatewayIds`, those where a peer entry other than `except(gatewayId)` holds `publicKey`, each
 * with that entry's name.
 */
export async function keyHoldersOn(
  d: Pick<Dependencies, 'repository'>,
  publicKey: string,
  gatewayIds: readonly string[],
  except: (gatewayId: string) => string | undefined = () => undefined,
): Promise<Map<string, string>> {
  const { holders, unindexed } = await d.repository.publicKeyHolders(publicKey, gatewayIds);
  const others = new Map([...holders].filter(([gatewayId, holder]) => holder !== except(gatewayId)));
  const unread = [...unindexed].filter((gatewayId) => !others.has(gatewayId));
  const legacy = await Promise.all(
    unread.map(async (gatewayId) => {
      const peers = await d.repository.listPeers(gatewayId);
      const holder = peers.find((peer) => peer.publicKey === publicKey && peer.name !== except(gatewayId));
      return holder && ([gatewayId, holder.name] as const);
    }),
  );
  for (const found of legacy) if (found) others.set(...found);
  return others;
}
