/**
 * DynamoDB read and write request units as AWS bills them, the one meter of sections 3 and 7.
 *
 * DynamoDB Local reports a transaction's ConsumedCapacity far below AWS's price (one road-warrior
 * add's three-item TransactWriteItems reports 2; AWS bills 6), so summing what Local reports cannot
 * see a transaction grow by an item. A transaction is priced here as AWS prices it: TransactWriteItems
 * 2 write units per item per started KB, TransactGetItems 2 read units per item per started 4 KB.
 * The size of an item a transaction puts is known from the request; an item it updates, deletes or
 * condition-checks is counted as one KB (the request does not carry it), so for items above 1 KB the
 * figure is a lower bound. Every other call is billed by item size on AWS as Local does: its reported
 * figure is kept. A request that fails (a condition, a cancelled transaction) reports nothing and is
 * not counted, although AWS bills a failed conditional write.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface RequestUnits {
  readUnits: number;
  writeUnits: number;
}

/** What a command's middleware sees at the initialize step: the document client's native values. */
interface Call {
  commandName: string;
  input: unknown;
  output: unknown;
}

const READ_COMMAND = /^(Get|BatchGet|TransactGet|Query|Scan)/;
const KB = 1024;
const WRITE_UNIT_BYTES = KB;
const READ_UNIT_BYTES = 4 * KB;
/** A transactional read or write costs twice the standard one (AWS: "transactional requests"). */
const TRANSACTION_FACTOR = 2;

/** Request units AWS would bill for one successful call. */
export function awsRequestUnits(call: Call): RequestUnits {
  const units = pricedTransaction(call) ?? reportedByLocal(call.output);
  return READ_COMMAND.test(call.commandName)
    ? { readUnits: units, writeUnits: 0 }
    : { readUnits: 0, writeUnits: units };
}

function pricedTransaction({ commandName, input, output }: Call): number | undefined {
  if (commandName === 'TransactWriteItemsCommand') {
    const items = (input as { TransactItems?: Record<string, { Item?: unknown }>[] }).TransactItems ?? [];
    return items.reduce((sum, action) => {
      const put = action.Put?.Item;
      return sum + TRANSACTION_FACTOR * unitsOf(put === undefined ? 0 : itemBytes(put), WRITE_UNIT_BYTES);
    }, 0);
  }
  if (commandName === 'TransactGetItemsCommand') {
    const responses = (output as { Responses?: { Item?: unknown }[] }).Responses ?? [];
    return responses.reduce(
      (sum, response) =>
        sum +
        TRANSACTION_FACTOR *
          unitsOf(response.Item === undefined ? 0 : itemBytes(response.Item), READ_UNIT_BYTES),
      0,
    );
  }
  return undefined;
}

/** Every item is billed at least one unit, then one per started unit of size. */
const unitsOf = (bytes: number, unitBytes: number): number => Math.max(1, Math.ceil(bytes / unitBytes));

function reportedByLocal(output: unknown): number {
  const consumed = (
    output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
  )?.ConsumedCapacity;
  return [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

/**
 * An item's size as DynamoDB counts it: each attribute's UTF-8 name plus its value (strings by
 * UTF-8 bytes, numbers about one byte per two significant digits plus one, binaries by length,
 * booleans and null one byte, lists and maps 3 bytes plus one per element plus their contents).
 */
export function itemBytes(item: unknown): number {
  if (item === null || typeof item !== 'object') return 0;
  return Object.entries(item).reduce(
    (sum, [name, value]) => (value === undefined ? sum : sum + utf8(name) + valueBytes(value)),
    0,
  );
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(String(value));
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, element) => sum + valueBytes(element), 0);
  if (Array.isArray(value))
    return 3 + value.reduce((sum: number, element) => sum + 1 + valueBytes(element), 0);
  if (typeof value === 'object') {
    // A NumberValue of the document client keeps the number as a string.
    const asNumber = (value as { value?: unknown }).value;
    if (value.constructor?.name === 'NumberValue' && typeof asNumber === 'string')
      return numberBytes(asNumber);
    return 3 + Object.entries(value).reduce((sum, [name, v]) => sum + 1 + utf8(name) + valueBytes(v), 0);
  }
  return 0;
}

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/**
 * Adds what AWS would bill for every successful call of the client to `totals`. The document
 * client shares its base client's middleware stack, and at the initialize step both input and
 * output are still the native values (the document marshalling runs around serialisation).
 */
export function meterAwsRequestUnits(documents: DynamoDBDocumentClient, totals: RequestUnits): void {
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const units = awsRequestUnits({
        commandName: context.commandName ?? '',
        input: args.input,
        output: result.output,
      });
      totals.readUnits += units.readUnits;
      totals.writeUnits += units.writeUnits;
      return result;
    },
    { step: 'initialize', name: 'benchAwsRequestUnits' },
  );
}
