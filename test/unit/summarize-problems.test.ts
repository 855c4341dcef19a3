import assert from 'node:assert/strict';
import { summarizeProblems } from '../../src/event/summarize-problems';

describe('summarizeProblems', () => {
  it('lists every problem when there are few', () => {
    assert.equal(summarizeProblems(['a: x', 'b: y']), 'a: x; b: y');
  });

  it('lists the first five and counts the rest, and cuts a long one', () => {
    const problems = Array.from({ length: 100_000 }, (_, i) => `(top level): unknown key "k${i}"`);
    assert.equal(summarizeProblems(problems), `${problems.slice(0, 5).join('; ')} (and 99995 more)`);
    const long = summarizeProblems([`x: ${'a'.repeat(10_000)}`]);
    assert.equal(long.length, 200);
  });
});
