/** Audit events on EventBridge (source `vpc.peering`). */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AuditDetailType, AuditPublisher } from '../../app/ports';
import { TransientError } from '../../core/errors';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { AUDIT_EVENT_SOURCE } from '../../shared/event-patterns';
import { boundedClientConfig } from '../sdk-client';
import { transientOn } from '../transient';

const TRANSIENT_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

export class EventBridgeAudit implements AuditPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(detailType: AuditDetailType, detail: Record<string, unknown>): Promise<void> {
    const result = await transientOn('EventBridge', () =>
      this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: AUDIT_EVENT_SOURCE,
              DetailType: detailType,
              Detail: JSON.stringify(detail),
              EventBusName: this.busName,
            },
          ],
        }),
      ),
    );
    if (result.FailedEntryCount) {
      const code = result.Entries?.[0]?.ErrorCode ?? 'unknown';
      // PutEvents reports throttling per entry, inside a successful response.
      if (TRANSIENT_ENTRY_CODES.has(code)) throw new TransientError(`EventBridge entry ${code}`);
      throw new Error(`Audit event ${detailType} was rejected: ${code}`);
    }
  }
}

export const auditPublisher = () =>
  resolve(
    'audit',
    () => new EventBridgeAudit(new EventBridgeClient(boundedClientConfig('EVENTBRIDGE')), env.eventBusName()),
  );
