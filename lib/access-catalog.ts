/**
 * What each function of the catalog (lib/handlers.ts) may touch, by kind of access; lib/access.ts
 * turns each kind into IAM statements (docs/SECURITY.md).
 */
import type { WorkflowName } from '../lambdas/app/ports';
import type { HandlerName } from './handlers';

/**
 * What a handler touches, by the adapters it imports. `table-read`/`table`: the DynamoDB
 * repository; `status-store`: reading items by key and putting them, no update, delete or query
 * (status-reports: a gateway, its STATUS); `generation-raise`: one update, of a gateway item's
 * desiredGeneration and healedThrough alone (status-reports, after a restore of the table:
 * app/status-reports.ts healRestored); `secrets-delete`: deleting secret objects (clean-up only);
 * `gateway-secrets-list`: listing a deleted gateway's secret folder, to delete its keys a thousand at
 * a time; `preshared-keys-list`: listing a deleted peering's folder, every key it had (a move gives
 * it a new one each time); `preshared-keys-delete`: deleting peerings' preshared keys only; `preshared-keys-write`:
 * creating them too, with the key encrypting them; `secrets`: creating, deleting and reading back
 * decrypted gateway and road-warrior private keys only (only the api, which registers gateways and serves key
 * downloads; it never touches a preshared key); `deliver-secrets`: copying a gateway's own key
 * and its peerings' preshared keys to its instance's tagged copies (never a road-warrior key);
 * `config`: publishing desired-state documents (tagged for their instance); `config-read`:
 * reading them back (the status route shows the applied generation's peers; a push copies only
 * the secrets the applied one does not name: app/push.ts); `config-prune`:
 * deleting a gateway's documents that no push can still fetch (listed under `gateways/`, after a
 * push is applied: app/status-reports.ts); `commands`: sending
 * the apply command; `command-status`: reading an invocation and its full output; `report-commands`: sending the report command to
 * the tagged gateway instances; `teardown-commands`: sending a deleted gateway's instance the
 * teardown command; `published-delete`: deleting a deleted gateway's documents and secret copies
 * (listed under `gateways/`); `workflow:<name>`: starting and describing executions of that one
 * state machine (and knowing its ARN); `audit`: PutEvents on the default bus.
 */
export type Access =
  | 'table-read'
  | 'table'
  | 'status-store'
  | 'generation-raise'
  | 'secrets-delete'
  | 'gateway-secrets-list'
  | 'preshared-keys-list'
  | 'preshared-keys-delete'
  | 'preshared-keys-write'
  | 'secrets'
  | 'deliver-secrets'
  | 'config'
  | 'config-read'
  | 'config-prune'
  | 'commands'
  | 'report-commands'
  | 'teardown-commands'
  | 'published-delete'
  | 'command-status'
  | `workflow:${WorkflowName}`
  | 'audit';

export const ACCESS: Record<HandlerName, readonly Access[]> = {
  api: [
    'table',
    'secrets',
    'config-read',
    'workflow:create-peering',
    'workflow:delete-peering',
    'workflow:push-gateway',
  ],
  // A gateway moved to another instance: the old one's documents and copies go, it is torn down, and
  // each peering gets a new preshared key (app/preshared-key-rotation.ts: written, the old one
  // deleted, never read), once the new instance's first document is published (config-read:
  // app/instance-move.ts movedInstanceRendered). Its changes start pushes only
  // (app/gateway-lifecycle.ts); a deletion goes through the cascade.
  'gateway-events': [
    'table',
    'workflow:push-gateway',
    'published-delete',
    'config-read',
    'teardown-commands',
    'preshared-keys-write',
  ],
  // A deleted gateway's peerings are deleted (app/gateway-cascade.ts), nothing else started.
  cascade: [
    'table',
    'secrets-delete',
    'gateway-secrets-list',
    'workflow:delete-peering',
    'published-delete',
    'teardown-commands',
  ],
  // It parses what instances report (docs/SECURITY.md): a gateway and its STATUS item, a repair push;
  // after a restore of the table, a gateway's generation raised over the document that proves it.
  'status-reports': [
    'status-store',
    'generation-raise',
    'config-read',
    'report-commands',
    'command-status',
    'workflow:push-gateway',
  ],
  // Re-drives stalled creates and deletes (app/sweeper.ts), pending cascades (delete-peering) and
  // owed peer walks (push-gateway: app/gateway-lifecycle.ts finishOwedWalk, which resumes a move's
  // preshared key rotation: preshared-keys-write, after its early push's document: config-read).
  sweeper: [
    'table',
    'secrets-delete',
    'gateway-secrets-list',
    'preshared-keys-write',
    'config-read',
    'workflow:create-peering',
    'workflow:delete-peering',
    'workflow:push-gateway',
    'audit',
    'published-delete',
    'teardown-commands',
  ],
  validate: ['table-read', 'preshared-keys-delete'],
  allocate: ['table', 'preshared-keys-write', 'audit'],
  'push-config': ['table', 'deliver-secrets', 'config', 'config-read', 'commands'],
  'check-command': ['table', 'command-status', 'config-prune'],
  activate: ['table', 'audit'],
  compensate: ['table', 'audit'],
  detach: ['table'],
  release: ['table', 'preshared-keys-delete', 'preshared-keys-list', 'audit'],
};
