import { awsRequestUnits, itemBytes } from './aws-request-units';

describe('awsRequestUnits (bench sections 3 and 7)', () => {
  it('prices a TransactWriteItems at 2 write units per item, not at what DynamoDB Local reports', () => {
    // Prepare: a road-warrior add's transaction (peer entry, gateway counters, public-key item), Local reporting 2
    const call = {
      commandName: 'TransactWriteItemsCommand',
      input: {
        TransactItems: [
          { Put: { Item: { pk: 'GW#g', sk: 'PEER#rw-1', publicKey: 'k' } } },
          { Update: { Key: { pk: 'GW#g', sk: 'META' }, UpdateExpression: 'ADD n :one' } },
          { Put: { Item: { pk: 'KEY#k', sk: 'KEY' } } },
        ],
      },
      output: { ConsumedCapacity: [{ CapacityUnits: 2 }] },
    };
    // Act
    const units = awsRequestUnits(call);
    // Assess
    expect(units).toEqual({ readUnits: 0, writeUnits: 6 });
  });

  it('bills a put item per started KB, twice, inside a transaction', () => {
    // Prepare: one item of 2,500 bytes or so
    const call = {
      commandName: 'TransactWriteItemsCommand',
      input: { TransactItems: [{ Put: { Item: { pk: 'x', blob: 'a'.repeat(2_500) } } }] },
      output: {},
    };
    // Act
    const units = awsRequestUnits(call);
    // Assess
    expect(units.writeUnits).toBe(6);
  });

  it('prices a TransactGetItems at 2 read units per item per started 4 KB', () => {
    // Prepare: a small item and one of about 5 KB
    const call = {
      commandName: 'TransactGetItemsCommand',
      input: {},
      output: { Responses: [{ Item: { pk: 'a' } }, { Item: { pk: 'b', blob: 'b'.repeat(5_000) } }] },
    };
    // Act
    const units = awsRequestUnits(call);
    // Assess
    expect(units).toEqual({ readUnits: 2 + 4, writeUnits: 0 });
  });

  it('keeps what DynamoDB Local reports for a call that is not a transaction', () => {
    // Prepare
    const query = {
      commandName: 'QueryCommand',
      input: {},
      output: { ConsumedCapacity: { CapacityUnits: 1.5 } },
    };
    const put = { commandName: 'PutCommand', input: {}, output: { ConsumedCapacity: { CapacityUnits: 1 } } };
    // Act
    const units = [awsRequestUnits(query), awsRequestUnits(put)];
    // Assess
    expect(units).toEqual([
      { readUnits: 1.5, writeUnits: 0 },
      { readUnits: 0, writeUnits: 1 },
    ]);
  });

  it('sizes an item from its attribute names and values as DynamoDB counts them', () => {
    // Prepare
    const item = { pk: 'abc', n: 12345, ok: true, list: ['x'], bytes: new Uint8Array(4) };
    // Act
    const bytes = itemBytes(item);
    // Assess: pk 2+3, n 1+4, ok 2+1, list 4+(3+1+1), bytes 5+4
    expect(bytes).toBe(5 + 5 + 3 + 9 + 9);
  });
});
