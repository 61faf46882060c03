/**
 * `get` with `maxBytes` (lambdas/adapters/signed-s3/http-objects.ts): a Range GET of one byte past
 * the bound, an object filling it refused as ObjectTooLargeError, and never more than that read
 * even from a server that ignores the range. Fetch stubbed (test/support/s3-fetch.ts).
 */
import { ObjectTooLargeError } from '../../../lambdas/adapters/signed-s3/http-objects';
import { objectsAnswering, ok, s3Error } from '../../support/s3-fetch';

test('without maxBytes a GET asks for no range and reads the object whole', async () => {
  // Prepare
  const { objects, requests } = objectsAnswering('bucket', [ok('x'.repeat(100))]);

  // Act
  const text = await objects.get('some/key');

  // Assess
  expect(text).toBe('x'.repeat(100));
  expect(requests[0]?.headers).not.toHaveProperty('range');
});

test('with maxBytes an object within the bound is read whole from its 206', async () => {
  // Prepare
  const { objects, requests } = objectsAnswering('bucket', [ok('é'.repeat(5), 206)]);

  // Act
  const text = await objects.get('some/key', { maxBytes: 10 });

  // Assess: 10 bytes of UTF-8, exactly the bound.
  expect(text).toBe('é'.repeat(5));
  expect(requests[0]?.headers.range).toBe('bytes=0-10');
  expect(requests[0]?.headers.authorization).toMatch(/SignedHeaders=host;range;/);
});

test('an object past the bound throws ObjectTooLargeError, not retried', async () => {
  // Prepare: the 11 bytes a range of 0-10 returns from a larger object.
  const { objects, requests } = objectsAnswering('bucket', [ok('x'.repeat(11), 206)]);

  // Act
  const read = objects.get('some/key', { maxBytes: 10 });

  // Assess
  await expect(read).rejects.toBeInstanceOf(ObjectTooLargeError);
  expect(requests).toHaveLength(1);
});

test('a server that ignores the range is read no further than the bound', async () => {
  // Prepare: a 200 with the whole 1 MiB body, streamed in chunks; count what is pulled from it.
  let pulled = 0;
  const chunk = new Uint8Array(1024).fill(120);
  const whole = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= 1024 * 1024) return controller.close();
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
      { status: 200 },
    );
  const { objects } = objectsAnswering('bucket', [whole]);

  // Act
  const read = objects.get('some/key', { maxBytes: 4096 });

  // Assess
  await expect(read).rejects.toBeInstanceOf(ObjectTooLargeError);
  expect(pulled).toBeLessThanOrEqual(4096 + 2 * chunk.byteLength);
});

test('an empty object (416 to any range) reads as empty text; a missing one as undefined', async () => {
  // Prepare
  const { objects } = objectsAnswering('bucket', [s3Error(416, 'InvalidRange'), s3Error(404, 'NoSuchKey')]);

  // Act
  const empty = await objects.get('empty', { maxBytes: 10 });
  const missing = await objects.get('missing', { maxBytes: 10 });

  // Assess
  expect(empty).toBe('');
  expect(missing).toBeUndefined();
});
