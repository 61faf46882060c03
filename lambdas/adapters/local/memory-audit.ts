/** The embedded runtime's audit bus: keeps events in memory (inspectable by tests) and logs them. */
import type { AuditDetailType, AuditPublisher } from '../../app/ports';

export interface AuditEvent {
  detailType: AuditDetailType;
  detail: Record<string, unknown>;
  time: string;
}

export class MemoryAudit implements AuditPublisher {
  readonly events: AuditEvent[] = [];

  constructor(private readonly log: (line: string) => void = () => {}) {}

  async publish(detailType: AuditDetailType, detail: Record<string, unknown>): Promise<void> {
    this.events.push({ detailType, detail, time: new Date().toISOString() });
    this.log(`audit ${detailType} ${JSON.stringify(detail)}`);
  }
}
