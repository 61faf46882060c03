/**
 * Admissions of a limit (`ADMISSIONS#<kind>#<scope>` / `META`, scope = an owner or a gateway id):
 * a small map of recent admissions and a version, replaced only by a Put conditional on the version
 * read, or added to by one UpdateItem conditional on the map's size (the fast path, no read).
 * Concurrent admissions in one scope are serialised on this item (docs/DECISIONS.md, "Tenants and
 * traffic").
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AdmissionKind, AdmissionStore, Admissions } from '../../app/ports';
import { isConditionalCheckFailure, toTypedError } from './errors';

const admissionKey = (scope: string, kind: AdmissionKind) => ({
  pk: `ADMISSIONS#${kind}#${scope}`,
  sk: 'META',
});

export class OwnerAdmissions implements AdmissionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getAdmissions(scope: string, kind: AdmissionKind): Promise<Admissions> {
    const result = await this.client
      .send(
        new GetCommand({
          TableName: this.tableName,
          Key: admissionKey(scope, kind),
          ConsistentRead: true,
        }),
      )
      .catch((error: unknown) => {
        throw toTypedError(error);
      });
    const item = result.Item;
    return {
      version: typeof item?.version === 'number' ? item.version : 0,
      entries: (item?.entries as Record<string, number> | undefined) ?? {},
    };
  }

  async putAdmissions(
    scope: string,
    kind: AdmissionKind,
    entries: Record<string, number>,
    expected: number,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...admissionKey(scope, kind), entity: 'admissions', version: expected + 1, entries },
          ConditionExpression: expected === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ...(expected === 0 ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw toTypedError(error);
    }
  }

  async addAdmission(scope: string, kind: AdmissionKind, id: string, atMs: number, room: number) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: admissionKey(scope, kind),
          // An absent item fails the condition too (size of a missing attribute): the first
          // admission of a scope creates the item through putAdmissions.
          UpdateExpression: 'SET entries.#id = :at ADD version :one',
          ConditionExpression: 'size(entries) < :room',
          ExpressionAttributeNames: { '#id': id },
          ExpressionAttributeValues: { ':at': atMs, ':one': 1, ':room': room },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw toTypedError(error);
    }
  }
}
