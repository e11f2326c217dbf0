import { JSON_PATH_SCRIPT_MESSAGE, jsonPathScriptProblem, selectJsonPath } from '../../server/domain/json-path';
import { validateTriggerConfig } from '../../server/domain/trigger-config';

const doc = { store: { book: [{ author: 'A', price: 8 }, { author: 'B', price: 12 }] }, items: [{ id: 1 }, { id: 2 }] };

describe('json_path without scripts', () => {
  it.each([
    '$.items[*].id',
    '$..author',
    '$.store.book[0:1].price',
    '$.store.book[-1:]',
    "$['store']['book'][*]['author']",
    '$.store.*',
  ])('accepts the plain path %s', (path) => {
    expect(jsonPathScriptProblem(path)).toBeNull();
  });

  it.each([
    '$..book[?(@.price<10)]',
    '$..book[?(@.isbn)]',
    '$..book[(@.length-1)]',
    '$.a.(b)',
    "$['(x)']",
    '$..*[?(@property === "price")]',
    '$.store.book[?@.price < 10]',
    "$..book[?(@.constructor.constructor('return process')().exit())]",
  ])('refuses the filter or script %s', (path) => {
    expect(jsonPathScriptProblem(path)).toBe(JSON_PATH_SCRIPT_MESSAGE);
  });

  it('selects with plain paths and never runs a script', () => {
    expect(selectJsonPath(doc, '$.items[*].id')).toEqual([1, 2]);
    expect(selectJsonPath(doc, '$..author')).toEqual(['A', 'B']);
    expect(selectJsonPath(doc, '$.missing')).toEqual([]);
    expect(() => selectJsonPath(doc, '$..book[?(@.price<10)]')).toThrow(/json_path: filter and script expressions/);
  });

  it('refuses a polling config whose json_path has a filter or script, naming config.json_path', () => {
    for (const json_path of ['$..book[?(@.price<10)]', '$..book[(@.length-1)]']) {
      const r = validateTriggerConfig('polling', { url: 'https://example.com/feed.json', interval_seconds: 60, json_path });
      expect(r).toEqual({ ok: false, problems: [{ field: 'config.json_path', message: JSON_PATH_SCRIPT_MESSAGE }] });
    }
  });
});
