/** Audit events on EventBridge (source `vpc.peering`). */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AuditDetailType, AuditPublisher } from '../../app/ports';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { AUDIT_EVENT_SOURCE } from '../../shared/event-patterns';

export class EventBridgeAudit implements AuditPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(detailType: AuditDetailType, detail: Record<string, unknown>): Promise<void> {
    const result = await this.client.send(
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
    );
    if (result.FailedEntryCount) {
      throw new Error(
        `Audit event ${detailType} was rejected: ${result.Entries?.[0]?.ErrorCode ?? 'unknown'}`,
      );
    }
  }
}

export const auditPublisher = () =>
  resolve('audit', () => new EventBridgeAudit(new EventBridgeClient({}), env.eventBusName()));
