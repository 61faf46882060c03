/**
 * Public-key items (`GW#<id>`/`KEY#<publicKey>`, holder: the peer entry's name): WireGuard tells a
 * gateway's peers apart by public key, so each key a peer entry holds is claimed in the
 * transaction that writes the entry (`attribute_not_exists`: two writers of one key cannot both
 * commit) and released in the one that removes it. In the gateway's partition, so the residue
 * purge of a deleted gateway takes them with the rest. Entries written before these items existed
 * hold none: the checks that read the peers cover those (docs/DECISIONS.md, "Public keys").
 */
import { keys } from './items';
import type { Item, Table, TransactItem } from './table';

export const PUBLIC_KEY_SK = 'KEY#';

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
 * transaction never frees a key another entry holds.
 */
export function releasePublicKey(
  table: Table,
  gatewayId: string,
  publicKey: string,
  holder: string,
  item: Item | undefined,
): TransactItem[] {
  if (item?.holder !== holder) return [];
  return [
    table.deleteItem(publicKeyKey(gatewayId, publicKey), 'holder = :keyHolder', { ':keyHolder': holder }),
  ];
}
