import fc from 'fast-check';
import { encodePatch } from '../../src/admission/patch-encoding.js';
import { jsonString, jsonText } from '../../src/admission/json-text.js';
import { freezeDeep, isDeeplyFrozen } from '../../src/mutation/frozen.js';
import type { AddOperation } from '../../src/mutation/types.js';
import { decodePatch } from '../support/patch.js';

const TOLERATIONS = [
  { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'dedicated', operator: 'Equal', value: 'fleet', effect: 'NoExecute' },
];

// Keys and strings with everything JSON and base64 alignment care about: quotes, backslashes,
// control characters, multi-byte UTF-8 (2, 3 and 4 bytes), lone surrogates.
const awkwardString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', 'a', 'ab', 'abc', '"', '\\', '\n', '\u0000', 'µ', '€', '😀', '\ud800', 'a/b~c', 'job_fleet-example'),
);
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const operation = fc.record({
  path: awkwardString.map((s) => '/metadata/annotations/' + s),
  value: fc.oneof(awkwardString, jsonValue, fc.dictionary(awkwardString, awkwardString, { maxKeys: 3 })),
  frozen: fc.boolean(),
});

function expectDecodesTo(encoded: string, patch: readonly AddOperation[]) {
  // decodePatch refuses anything but canonical, padded base64 (as the API server would).
  expect(decodePatch({ patch: encoded })).toEqual(JSON.parse(JSON.stringify(patch)));
}

describe('encodePatch', () => {
  it('is the standard base64 of a JSON array equal to the patch, whatever mix of reused and fresh values', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 6 }), (ops) => {
        const patch: AddOperation[] = ops.map((o) => ({ op: 'add', path: o.path, value: o.frozen ? freezeDeep(structuredClone(o.value)) : o.value }));
        const first = encodePatch(patch);
        expectDecodesTo(first, patch);
        // Second encoding comes from the reused pieces and must be identical.
        expect(encodePatch(patch)).toBe(first);
      }),
      { numRuns: 500 },
    );
  });

  it('reuses a frozen value at another path and position without mixing up the pieces', () => {
    const tolerations = freezeDeep(structuredClone(TOLERATIONS));
    const a: AddOperation[] = [
      { op: 'add', path: '/spec/template/spec/tolerations', value: tolerations },
      { op: 'add', path: '/metadata/labels', value: { 'app.kubernetes.io/component': 'job_x' } },
    ];
    const b: AddOperation[] = [
      { op: 'add', path: '/metadata/labels', value: { x: 'é' } },
      { op: 'add', path: '/spec/jobTemplate/spec/template/spec/tolerations', value: tolerations },
      { op: 'add', path: '/spec/template/spec/tolerations', value: tolerations },
    ];
    for (const patch of [a, b, a, b]) expectDecodesTo(encodePatch(patch), patch);
  });

  it('encodes an empty patch as an empty array', () => {
    expectDecodesTo(encodePatch([]), []);
  });

  it('never reuses a value that was not frozen through freezeDeep', () => {
    const value = Object.freeze({ a: '1' }); // shallow freeze: not known immutable
    expect(isDeeplyFrozen(value)).toBe(false);
    const mutable: Record<string, string> = { a: '1' };
    const patch: AddOperation[] = [{ op: 'add', path: '/x', value: mutable }];
    encodePatch(patch);
    mutable.a = '2';
    expect(decodePatch({ patch: encodePatch(patch) })[0].value).toEqual({ a: '2' });
  });
});

describe('freezeDeep', () => {
  it('freezes nested objects and arrays', () => {
    const v = freezeDeep({ a: [{ b: 'c' }] });
    expect(isDeeplyFrozen(v)).toBe(true);
    expect(Object.isFrozen(v.a)).toBe(true);
    expect(Object.isFrozen(v.a[0])).toBe(true);
    expect(() => {
      (v.a[0] as { b: string }).b = 'x';
    }).toThrow(TypeError);
  });
});

describe('jsonText', () => {
  it('writes exactly what JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.oneof(jsonValue, awkwardString, fc.dictionary(awkwardString, fc.oneof(awkwardString, fc.dictionary(awkwardString, awkwardString)))), (v) => {
        expect(jsonText(v)).toBe(JSON.stringify(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('defers to JSON.stringify for what is not a plain object of strings', () => {
    const date = new Date(0);
    for (const v of [date, { d: date }, { n: 1 }, { u: undefined, s: 's' }, [1, 'a'], { toJSON: () => 'x' }, Object.assign(Object.create(null), { a: 'b' })]) {
      expect(jsonText(v)).toBe(JSON.stringify(v));
    }
  });

  it('escapes strings as JSON.stringify does', () => {
    for (const s of ['plain', 'quote"', 'back\\slash', 'tab\t', '\u001f', '\ud83d', '😀', '\u2028']) expect(jsonString(s)).toBe(JSON.stringify(s));
    fc.assert(
      fc.property(fc.oneof(awkwardString, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-composite' })), (s) => {
        expect(jsonString(s)).toBe(JSON.stringify(s));
        // Built by concatenation, as the label values it mostly sees are.
        expect(jsonString('job_' + s + '-x')).toBe(JSON.stringify('job_' + s + '-x'));
      }),
      { numRuns: 1000 },
    );
  });
});
