/** Which stream records are a gateway's removal, decoded without DynamoDB (adapters/dynamodb-stream). */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { gatewayItem, peerItem } from '../../lambdas/adapters/dynamodb/items';
import { removedGateway } from '../../lambdas/adapters/dynamodb-stream';
import { roadWarriorPeer } from '../support/core';
import { gatewayRecord } from '../support/gateways';

/** A stream record whose old image is `item`, as Lambda's event types spell it. */
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', item: object): DynamoDBRecord {
  const image = marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>;
  return { eventName, dynamodb: { OldImage: image as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'] } };
}

describe('removedGateway', () => {
  it('reads the gateway a REMOVE of its item took away', () => {
    // Prepare
    const gateway = gatewayRecord();
    const removal = record('REMOVE', gatewayItem(gateway, { allocatedCount: 2, capacity: 254 }));
    // Act
    const removed = removedGateway(removal);
    // Assess
    expect(removed).toEqual(gateway);
  });

  it('ignores a gateway item that changed, and the removal of any other item', () => {
    // Prepare
    const gateway = gatewayRecord();
    const changed = record('MODIFY', gatewayItem(gateway, { allocatedCount: 2, capacity: 254 }));
    const peerGone = record('REMOVE', peerItem(roadWarriorPeer({ gatewayId: gateway.id })));
    // Act
    const found = [
      removedGateway(changed),
      removedGateway(peerGone),
      removedGateway({ eventName: 'REMOVE' }),
    ];
    // Assess
    expect(found).toEqual([undefined, undefined, undefined]);
  });
});
