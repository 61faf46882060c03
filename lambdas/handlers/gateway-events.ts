/**
 * EventBridge rule target for `vpn.gateways` events (docs/CONTRACT.md#events): "VPN Gateway Deleted" removes
 * the gateway item (the stream then drives the cascade) unless the event is an earlier
 * incarnation's (stamped at or before the end of the one the gateway replaced), "VPN Gateway
 * Updated" upserts the
 * registry and, when the gateway's endpoint or public key changed, starts a push-gateway execution per peer
 * gateway (and one of its own when its listenPort changed) without waiting for them; when its
 * instance changed, deletes what was published for the old instance, sends it the teardown command
 * and starts the gateway's push to the new one (an update of
 * a gateway deleted meanwhile is logged and dropped: it must not bring the gateway back). A malformed
 * event, or one older than a deleted gateway's tombstone lives (30 days), is logged and thrown as a
 * ValidationError, so on AWS it lands in the rule's dead-letter queue instead of being dropped
 * silently.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { repository } from '../adapters/dynamodb';
import { configStore } from '../adapters/s3';
import { secretCopiesWithdrawal } from '../adapters/s3/secret-copies-withdrawal';
import { secretStore } from '../adapters/s3/secret-store';
import { workflowEngine } from '../adapters/sfn';
import { commandBus } from '../adapters/ssm';
import { gatewayDeleted, gatewayUpdated } from '../app/gateway-lifecycle';
import { GatewayGoneError, ValidationError } from '../core/errors';
import { parseResourceId } from '../core/schemas';
import { clock } from '../shared/deps';
import { env } from '../shared/env';
import { eventRuleHandler, type RuleEvent } from '../shared/event-handler';
import { GATEWAY_DELETED, GATEWAY_UPDATED } from '../shared/event-patterns';

// Read per event, and once at cold start: a malformed value fails the init, naming its variable.
env.addressPolicy();
env.peerFanoutStartsPerSecond();

async function route(event: RuleEvent, log: Logger): Promise<void> {
  switch (event['detail-type']) {
    case GATEWAY_DELETED: {
      const gatewayId = parseResourceId(deletedDetail(event.detail).gatewayId, 'detail.gatewayId');
      const removed = await gatewayDeleted(
        { repository: repository(), clock: clock() },
        gatewayId,
        event.time,
      );
      // Not deleted: absent already, or a later incarnation the event predates (logged as such).
      log.info(removed ? 'gateway deleted' : 'no gateway deleted', { gatewayId });
      return;
    }
    case GATEWAY_UPDATED: {
      const update = await gatewayUpdated(
        {
          repository: repository(),
          clock: clock(),
          workflows: workflowEngine(),
          configStore: configStore(),
          instanceSecrets: secretCopiesWithdrawal(),
          // A move's new preshared keys (app/preshared-key-rotation.ts): written and deleted, never read.
          secrets: secretStore(),
          commands: commandBus(),
          peerFanoutStartsPerSecond: env.peerFanoutStartsPerSecond(),
        },
        event.detail,
        env.addressPolicy(),
        event.time,
      ).catch((error: unknown) => {
        // Events arrive out of order: an update of a deleted gateway is history, not a retry.
        if (!(error instanceof GatewayGoneError)) throw error;
        log.warn('update of a deleted gateway ignored', { gatewayId: error.gatewayId });
        return undefined;
      });
      if (!update || update.ignored) return;
      const { gateway, pushes } = update;
      log.info('gateway upserted', { gatewayId: gateway.id });
      for (const push of pushes) {
        log.info('config push started', {
          gatewayId: gateway.id,
          pushedGatewayId: push.gatewayId,
          generation: push.generation,
          executionId: push.executionId,
        });
      }
      return;
    }
    default:
      throw new ValidationError(
        `unsupported detail-type ${JSON.stringify(event['detail-type'])}`,
        'detail-type',
      );
  }
}

function deletedDetail(detail: unknown): Record<string, unknown> {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw new ValidationError('must be an object', 'detail');
  }
  return detail as Record<string, unknown>;
}

export const handler = eventRuleHandler('gateway event', route);
