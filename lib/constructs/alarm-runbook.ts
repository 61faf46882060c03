/**
 * Where an alarm's operator finds what to do: README.md's "Alarms" section has one row per alarm,
 * keyed by the alarm's construct id, which also starts its CloudWatch name (`VpcPeering-<id>…`).
 * Every alarm description ends with this pointer (test/infra/stack.test.ts checks each has its row).
 */
export const ALARM_RUNBOOK = 'README.md, "Alarms"';

/** `what` (what the alarm means), then the README row of the alarm `alarmId`. */
export function alarmDescription(alarmId: string, what: string): string {
  return `${what}. Runbook: ${ALARM_RUNBOOK}, ${alarmId}`;
}
