import { describeToleration, mergeTolerationSets, parseTolerationList } from '../../src/mutation/tolerations.js';

describe('parseTolerationList (a controller manifest, --extra-tolerations)', () => {
  test('keeps the fields a toleration has, drops nulls and anything else', () => {
    expect(parseTolerationList([{ key: 'a', operator: 'Exists', value: null, effect: 'NoExecute', tolerationSeconds: 30, extra: 'x' }, {}], 'src')).toEqual([
      { key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      {},
    ]);
    expect(parseTolerationList(undefined, 'src')).toEqual([]);
    expect(parseTolerationList(null, 'src')).toEqual([]);
  });

  test.each([
    ['not a list', { key: 'a' }, 'src: tolerations must be a list'],
    ['an entry that is not an object', [{ key: 'a' }, 'b'], 'src: toleration 1 is not an object'],
    ['a list where a string belongs', [{ key: ['a'] }], 'src: toleration 0 field key must be a string'],
    ['a number for the value', [{ key: 'a', value: 1 }], 'src: toleration 0 field value must be a string'],
    ['a fraction of a second', [{ key: 'a', tolerationSeconds: 1.5 }], 'src: toleration 0 tolerationSeconds must be an integer'],
    ['seconds as text', [{ key: 'a', tolerationSeconds: '30' }], 'src: toleration 0 tolerationSeconds must be an integer'],
  ])('%s is refused, naming the entry', (_name, value, message) => {
    expect(() => parseTolerationList(value, 'src')).toThrow(message);
  });
});

test('mergeTolerationSets keeps the first of each identity (absent operator = Equal), in order', () => {
  const merged = mergeTolerationSets([{ key: 'a', value: 'x' }, { key: 'b', operator: 'Exists' }], [{ key: 'a', operator: 'Equal', value: 'x' }, { key: 'c' }]);
  expect(merged).toEqual([{ key: 'a', value: 'x' }, { key: 'b', operator: 'Exists' }, { key: 'c' }]);
});

test('describeToleration reads like a taint', () => {
  expect(describeToleration({ key: 'dedicated', value: 'fleet', effect: 'NoExecute', tolerationSeconds: 60 })).toBe('dedicated=fleet:NoExecute for 60s');
  expect(describeToleration({ operator: 'Exists' })).toBe('* Exists');
});
