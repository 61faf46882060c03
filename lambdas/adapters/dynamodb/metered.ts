/** Every DynamoDB call of the adapters goes through `metered`: capacity reporting and typed errors. */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { toTypedError } from './errors';

export interface Metered {
  ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
}

export const TOTAL = { ReturnConsumedCapacity: 'TOTAL' } as const;

export function capacityUnits(consumed: Metered['ConsumedCapacity']): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}

export async function metered<T extends Metered>(
  call: () => Promise<T>,
  onConsumedCapacity: (units: number) => void,
): Promise<T> {
  try {
    const output = await call();
    const units = capacityUnits(output?.ConsumedCapacity);
    if (units > 0) onConsumedCapacity(units);
    return output;
  } catch (error) {
    throw toTypedError(error);
  }
}
