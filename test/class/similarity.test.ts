import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { markedRegions, similarPairs, tokenize } from '../../src/class/similarity.js';
import { projectRoot } from '../../src/paths.js';
import { codeOutsideMarkers } from '../../src/submission/student-code.js';
import { REFERENCE } from '../grading/submissions.js';

const LAB = 'conv-step-by-step';
const read = (relative: string) => readFileSync(path.join(projectRoot, relative), 'utf8');
const starter = new Map([[LAB, markedRegions(read('exercises/conv-step-by-step.ts'))]]);
const student = (folder: string, source: string) => ({ folder, lab: LAB, code: markedRegions(source) });

describe('similarity of the code between the markers', () => {
  test('tokens normalize identifiers, numbers and strings, and drop comments', () => {
    expect(tokenize('const zPad = tf.pad(x, 3); // note\n/* block */ "s"').tokens).toEqual(['const', 'id', '=', 'id', '.', 'id', '(', 'id', ',', 'num', ')', ';', 'str']);
  });

  test('a copy is flagged, also with every variable renamed', () => {
    const renamed = REFERENCE.replace(/\bXPad\b/g, 'paddedImages').replace(/\bvertStart\b/g, 'top').replace(/\bhorizStart\b/g, 'left').replace(/\bdAPrev\b/g, 'gradient');
    const flags = similarPairs([student('alice', REFERENCE), student('bob', REFERENCE), student('carol', renamed)], starter);
    expect(flags.map((f) => [f.left, f.right])).toEqual([
      ['alice', 'bob'],
      ['alice', 'carol'],
      ['bob', 'carol'],
    ]);
    expect(flags[0].similarity).toBe(1);
    expect(flags.every((f) => f.similarity >= 0.8)).toBe(true);
  });

  test('independent solutions are not flagged', () => {
    const vectorized = read('examples/submissions/correct-vectorized/conv-step-by-step.ts');
    expect(similarPairs([student('alice', REFERENCE), student('dave', vectorized)], starter)).toEqual([]);
  });

  test('code that comes from the starter does not count', () => {
    const starterWithCode = new Map([[LAB, 'const [m, nHPrev, nWPrev, nCPrev] = APrev.shape;\nconst [f, , , nC] = W.shape;\nconst { stride, pad } = hparameters;\nconst nH = Math.floor((nHPrev - f + 2 * pad) / stride) + 1;']]);
    const withStarter = (own: string) => ({ folder: own.slice(0, 5), lab: LAB, code: `${starterWithCode.get(LAB)}\n${own}` });
    const a = withStarter('const alpha = tf.conv2d(zeroPad(APrev, pad), W, stride, "valid").add(b);');
    const b = withStarter('for (let i = 0; i < m; i++) { total += values[i] * weights[i % 7]; }');
    // At a low threshold, the shared starter lines alone make them look alike, unless they are known as starter code.
    expect(similarPairs([a, b], new Map(), 0.5).length).toBe(1);
    expect(similarPairs([a, b], starterWithCode, 0.5)).toEqual([]);
  });

  test('the unfilled starter itself (comments only) never pairs', () => {
    const unfilled = read('exercises/conv-step-by-step.ts');
    expect(similarPairs([student('s1', unfilled), student('s2', unfilled)], starter)).toEqual([]);
  });

  describe('copies dressed up are still compared as copies', () => {
    const STARTER = read('exercises/conv-step-by-step.ts');
    // What the class run compares: the marked regions and what was written outside them.
    const compared = (folder: string, source: string) => ({ folder, lab: LAB, code: `${markedRegions(source)}\n${codeOutsideMarkers(source, STARTER)}` });
    const flagged = (copy: string, threshold?: number) => similarPairs([compared('alice', REFERENCE), compared('copy', copy)], starter, threshold).map((f) => f.similarity);

    test('END markers removed, or a lone carriage return after each START marker', () => {
      expect(flagged(REFERENCE.split('\n').filter((l) => !l.includes('### END CODE HERE ###')).join('\n'))[0]).toBeGreaterThanOrEqual(0.8);
      expect(flagged(REFERENCE.replace(/(\/\/ ### START CODE HERE ###[^\n]*)\n/g, '$1\r'))[0]).toBeGreaterThanOrEqual(0.8);
    });

    test('the code moved into helpers outside the markers, each region calling its helper', () => {
      const regions = /\/\/ ### START CODE HERE ###[^\n]*\n([\s\S]*?)\n\s*\/\/ ### END CODE HERE ###/g;
      const helpers: string[] = [];
      const moved = REFERENCE.replace(regions, (_whole, body: string) => {
        helpers.push(`function helper${helpers.length}() {\n${body}\n}`);
        return `// ### START CODE HERE ###\n    helper${helpers.length - 1}();\n    // ### END CODE HERE ###`;
      });
      expect(helpers.length).toBeGreaterThan(5);
      // Each region cut out and wrapped breaks the fingerprints at its edges: it scores about 0.72,
      // seen from a threshold of 0.7 (before, nothing of it was compared at all).
      expect(flagged(`${moved}\n${helpers.join('\n')}\n`, 0.7)[0]).toBeGreaterThanOrEqual(0.7);
    });

    test('thousands of tokens of dead code padded in front of the copy', () => {
      const padding = Array.from({ length: 700 }, (_, i) => `const unused${i} = [${i}, ${i * 7}, 'p${i}'].map((v) => v);`).join('\n');
      const padded = REFERENCE.replace(/(\/\/ ### START CODE HERE ###[^\n]*\n)/, `$1${padding}\n`);
      expect(flagged(padded)[0]).toBeGreaterThanOrEqual(0.8);
    });
  });
});
