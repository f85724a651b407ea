import type { V1Namespace } from '@kubernetes/client-node';
import { NamespaceModeStore, type LookupResult, type NamespaceLookupOptions } from '../../src/sources/cluster/namespaces.js';

const MODE = 'fleet-webhook.io/mode';
const ns = (name: string, mode?: string): V1Namespace => ({ metadata: { name, labels: mode ? { [MODE]: mode } : {} } });

/** A reader whose answers the test releases one by one, recording what was asked. */
function controlledReader() {
  const asked: string[] = [];
  const waiting: { name: string; resolve: (v: V1Namespace | undefined) => void; reject: (e: Error) => void }[] = [];
  return {
    asked,
    read: (name: string) =>
      new Promise<V1Namespace | undefined>((resolve, reject) => {
        asked.push(name);
        waiting.push({ name, resolve, reject });
      }),
    answer(value: V1Namespace | undefined) {
      waiting.shift()?.resolve(value);
    },
    fail(message: string) {
      waiting.shift()?.reject(new Error(message));
    },
  };
}

function store(overrides: Partial<NamespaceLookupOptions> & Pick<NamespaceLookupOptions, 'read'>) {
  const results: LookupResult[] = [];
  let clock = 1_000;
  const s = new NamespaceModeStore({ timeoutMs: 5_000, rememberMs: 30_000, ratePerSecond: 5, burst: 20, now: () => clock, onLookup: (_n, r) => results.push(r), ...overrides });
  return { s, results, advance: (ms: number) => (clock += ms) };
}

/** One lookup of `name`, answered with `answer` (a namespace, or undefined: it does not exist). */
async function lookUpAnswered(s: NamespaceModeStore, reader: ReturnType<typeof controlledReader>, name: string, answer: V1Namespace | undefined) {
  const pending = s.lookUp(name);
  reader.answer(answer);
  await pending;
}

/** `name` is not remembered: a lookup reads it again, and the store takes that read's `mode`. */
async function expectReadAgain(s: NamespaceModeStore, reader: ReturnType<typeof controlledReader>, name: string, mode?: string) {
  const before = reader.asked.length;
  const pending = s.lookUp(name);
  expect(reader.asked.slice(before)).toEqual([name]);
  reader.answer(ns(name, mode));
  await pending;
  expect(s.modeFor(name)).toBe(mode);
}

describe('namespace mode store: live lookup of namespaces the watch has not delivered', () => {
  test('without a lookup there is nothing to ask', () => {
    const s = new NamespaceModeStore();
    expect(s.lookUp('fresh')).toBeUndefined();
    expect(s.modeFor('fresh')).toBeUndefined();
  });

  test('a known namespace is not asked about', () => {
    const reader = controlledReader();
    const { s } = store({ read: reader.read });
    s.replace([ns('fleet-default', 'enforce')]);
    expect(s.lookUp('fleet-default')).toBeUndefined();
    expect(reader.asked).toEqual([]);
  });

  test('concurrent lookups share one read; its answer is used until the remembered time ends', async () => {
    const reader = controlledReader();
    const { s, results, advance } = store({ read: reader.read });
    const a = s.lookUp('fresh');
    const b = s.lookUp('fresh');
    expect(reader.asked).toEqual(['fresh']);
    reader.answer(ns('fresh', 'audit'));
    await Promise.all([a, b]);
    expect(s.modeFor('fresh')).toBe('audit');
    expect(s.lookUp('fresh')).toBeUndefined();
    expect(results).toEqual(['opted_in']);

    advance(30_001);
    expect(s.modeFor('fresh')).toBeUndefined();
    await expectReadAgain(s, reader, 'fresh', 'enforce');
  });

  test('not opted in (no label, or no such namespace) is remembered too', async () => {
    const reader = controlledReader();
    const { s, results } = store({ read: reader.read });
    await lookUpAnswered(s, reader, 'plain', ns('plain'));
    await lookUpAnswered(s, reader, 'gone', undefined);
    expect([s.modeFor('plain'), s.modeFor('gone')]).toEqual([undefined, undefined]);
    expect([s.lookUp('plain'), s.lookUp('gone')]).toEqual([undefined, undefined]);
    expect(results).toEqual(['not_opted_in', 'not_opted_in']);
  });

  test('a watch event that arrives during the read wins over the read (its answer may be older)', async () => {
    const reader = controlledReader();
    const { s } = store({ read: reader.read });
    const pending = s.lookUp('fresh');
    s.upsert(ns('fresh')); // the label was removed: the watch says so
    reader.answer(ns('fresh', 'enforce')); // what the read saw before that
    await pending;
    expect(s.modeFor('fresh')).toBeUndefined();
    await expectReadAgain(s, reader, 'fresh'); // nothing stale remembered
  });

  test('the watch takes over from a remembered answer at once, and a relist clears them all', async () => {
    const reader = controlledReader();
    const { s } = store({ read: reader.read });
    for (const name of ['a', 'b']) await lookUpAnswered(s, reader, name, ns(name, 'enforce'));
    s.remove(ns('a'));
    expect(s.modeFor('a')).toBeUndefined();
    expect(s.modeFor('b')).toBe('enforce');
    s.replace([]);
    expect(s.modeFor('b')).toBeUndefined();
  });

  test('a failed read rejects, is counted, and is not remembered', async () => {
    const reader = controlledReader();
    const { s, results } = store({ read: reader.read });
    const pending = s.lookUp('fresh');
    reader.fail('HTTP 403: forbidden');
    await expect(pending).rejects.toThrow('HTTP 403: forbidden');
    expect(results).toEqual(['failed']);
    await expectReadAgain(s, reader, 'fresh', 'enforce');
  });

  test('a read slower than the timeout rejects the waiting admission; its later answer is kept', async () => {
    const reader = controlledReader();
    const { s } = store({ read: reader.read, timeoutMs: 20 });
    await expect(s.lookUp('slow')).rejects.toThrow('namespace lookup took over 20 ms');
    const second = s.lookUp('slow'); // still the same read: not asked twice
    expect(reader.asked).toEqual(['slow']);
    reader.answer(ns('slow', 'enforce'));
    await second;
    expect(s.modeFor('slow')).toBe('enforce');
  });

  test('a name that cannot be a namespace is not asked about', () => {
    const reader = controlledReader();
    const { s } = store({ read: reader.read });
    for (const name of ['', 'Upper', 'a/b', 'x'.repeat(64), '-dash', 'dot.ted']) expect(s.lookUp(name)).toBeUndefined();
    expect(reader.asked).toEqual([]);
  });

  test('reads are rate-limited: past the burst, lookups fail at once without asking, until tokens come back', async () => {
    const reader = controlledReader();
    const { s, results, advance } = store({ read: reader.read, ratePerSecond: 1, burst: 2 });
    const first = s.lookUp('made-up-1');
    const second = s.lookUp('made-up-2');
    await expect(s.lookUp('made-up-3')).rejects.toThrow('too many namespace lookups; not asked');
    expect(reader.asked).toEqual(['made-up-1', 'made-up-2']);
    expect(results).toEqual(['throttled']);
    const shared = s.lookUp('made-up-1'); // joining a read under way takes no token
    expect(reader.asked).toHaveLength(2);
    advance(1_000);
    const later = s.lookUp('made-up-3');
    expect(reader.asked).toEqual(['made-up-1', 'made-up-2', 'made-up-3']);
    for (let i = 0; i < 3; i++) reader.answer(undefined);
    await Promise.all([first, second, shared, later]);
  });
});
