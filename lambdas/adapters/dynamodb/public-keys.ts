/**
 * Public-key items (`GW#<id>`/`KEY#<publicKey>`, holder: the peer entry's name): WireGuard tells a
 * gateway's peers apart by public key, so each key a peer entry holds is claimed in the
 * transaction that writes the entry (`attribute_not_exists`: two writers of one key cannot both
 * commit) and released in the one that removes it. In the gateway's partition, so the residue
 * purge of a deleted gateway takes them with the rest. Entries written before these items existed
 * hold none until peer-key-backfill.ts gives them theirs; a gateway whose items are complete says
 * so (PEER_KEYS_INDEXED), and only an unmarked gateway's checks read its peers (docs/DECISIONS.md,
 * "Public keys", "Public-key items for older peer entries").
 */
import { keys } from './items';
import type { Item, Table, TransactItem } from './table';

export const PUBLIC_KEY_SK = 'KEY#';

/**
 * On the gateway item: every peer entry of the gateway holds its key item. Set at registration (all
 * entries of a new gateway get items) and by the backfill once a gateway's walk finished; never by
 * a re-registration (gateway-store.ts keeps it as bookkeeping).
 */
export const PEER_KEYS_INDEXED = 'peerKeysIndexed';

export const publicKeyKey = (gatewayId: string, publicKey: string) => ({
  pk: keys.gatewayPartition(gatewayId),
  sk: `${PUBLIC_KEY_SK}${publicKey}`,
});

/** The claim, for the transaction that writes the peer entry `holder`: refused when the key is held. */
export function claimPublicKey(
  table: Table,
  gatewayId: string,
  publicKey: string,
  holder: string,
): TransactItem {
  return table.putItem(
    { ...publicKeyKey(gatewayId, publicKey), entity: 'publicKey', holder },
    'attribute_not_exists(pk)',
  );
}

/**
 * The release, for the transaction that removes the peer entry `holder`, given the key item as
 * read before it: none when `holder` does not hold it (an entry older than the items), so that
 * transaction never frees a key another entry holds. When there was no item, the transaction
 * requires there still is none: the backfill may give the entry its item in between, and a removal
 * that left it would keep the key taken on the gateway for good (the caller reads again).
 */
export function releasePublicKey(
  table: Table,
  gatewayId: string,
  publicKey: string,
  holder: string,
  item: Item | undefined,
): TransactItem[] {
  if (item === undefined) {
    return [table.conditionCheck(publicKeyKey(gatewayId, publicKey), 'attribute_not_exists(pk)')];
  }
  if (item.holder !== holder) return [];
  return [
    table.deleteItem(publicKeyKey(gatewayId, publicKey), 'holder = :keyHolder', { ':keyHolder': holder }),
  ];
}
