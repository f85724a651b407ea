import { answersInBatch, Batch, BATCH_MAX_BODY_BYTES } from '../../src/server/batch.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

test('items added in one turn run together after it, in the order they came', async () => {
  const ran: number[] = [];
  const batch = new Batch<number>((n) => ran.push(n), () => undefined);
  batch.add(1);
  batch.add(2);
  batch.add(3);
  expect(ran).toEqual([]);
  expect(batch.pending).toBe(3);
  await nextTurn();
  expect(ran).toEqual([1, 2, 3]);
  expect(batch.pending).toBe(0);
});

test('an item that throws goes to `failed`, and the items after it still run', async () => {
  const ran: string[] = [];
  const failed: [string, unknown][] = [];
  const batch = new Batch<string>(
    (s) => {
      if (s === 'bad') throw new Error('boom');
      ran.push(s);
    },
    (s, err) => failed.push([s, err]),
  );
  for (const s of ['a', 'bad', 'b']) batch.add(s);
  await nextTurn();
  expect(ran).toEqual(['a', 'b']);
  expect(failed).toHaveLength(1);
  expect(failed[0][0]).toBe('bad');
  expect((failed[0][1] as Error).message).toBe('boom');
});

test('an item added while a batch runs waits for the next turn, and the batch after it runs too', async () => {
  const ran: string[] = [];
  const batch: Batch<string> = new Batch<string>(
    (s) => {
      ran.push(s);
      if (s === 'first') batch.add('added while running');
    },
    () => undefined,
  );
  batch.add('first');
  await nextTurn();
  expect(ran).toEqual(['first']);
  expect(batch.pending).toBe(1);
  await nextTurn();
  expect(ran).toEqual(['first', 'added while running']);
  batch.add('later');
  await nextTurn();
  expect(ran).toEqual(['first', 'added while running', 'later']);
});

test('a request is batched only with others in flight and a body up to BATCH_MAX_BODY_BYTES', () => {
  expect(answersInBatch(1, 3000)).toBe(false);
  expect(answersInBatch(2, 3000)).toBe(true);
  expect(answersInBatch(2, BATCH_MAX_BODY_BYTES)).toBe(true);
  expect(answersInBatch(2, BATCH_MAX_BODY_BYTES + 1)).toBe(false);
  // No content-length (chunked): Number(undefined) is NaN, answered at once.
  expect(answersInBatch(2, Number(undefined))).toBe(false);
});
