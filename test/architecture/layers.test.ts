/**
 * src/'s parts, and graders/, stand in declared layers, lowest first: a part imports only parts of
 * its own layer or lower ones, and no parts import each other in a circle. README's layout
 * paragraph names the same layers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cycles, fileImports, layerViolations, partImports, type PartImport } from './import-graph.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const LAYERS: readonly (readonly string[])[] = [
  // The result contract: what a grading produces, and the values that cross the sandbox.
  ['contract'],
  ['errors.ts', 'paths.ts', 'atomic-write.ts', 'median.ts', 'require-package.ts', 'schema.ts', 'tfjs.ts', 'types'],
  ['i18n', 'rng'],
  // The accelerators' wing (kernels and fusions), and comparing values.
  ['accel', 'compare'],
  // Which backend may run what.
  ['backends'],
  ['data', 'cases', 'submission', 'course-utils', 'training'],
  // Reading model files (inside the sandboxed evaluator).
  ['models'],
  ['sandbox'],
  // Grading, in phases.
  ['engine'],
  // The labs (outside src/, read as one part).
  ['graders'],
  ['kit', 'config'],
  ['report'],
  ['class'],
  ['platforms'],
  ['cli'],
];

const { parts, imports } = partImports(ROOT);

describe("the import graph of src/ and graders/", () => {
  test('every part is in a layer, no import runs up a layer, and no parts import each other in a circle', () => {
    expect(layerViolations(parts, imports, LAYERS)).toEqual([]);
  });

  test('no files import each other in a circle, inside a part either', () => {
    const betweenFiles = fileImports(ROOT).imports.map((i) => ({ from: i.file, to: i.target }));
    expect(cycles(betweenFiles)).toEqual([]);
  });

  test('no file of src/ is over 400 lines', () => {
    const long = fileImports(ROOT).files.filter((file) => file.startsWith('src/')).map((file) => [file, readFileSync(path.join(ROOT, file), 'utf8').split('\n').length] as const);
    expect(long.filter(([, lines]) => lines > 400)).toEqual([]);
  });

  test('the result contract imports nothing else of src/', () => {
    expect(imports.filter((i) => i.from === 'contract')).toEqual([]);
  });

  test("the accelerators' wing is entered by its one entry point", () => {
    const byTheSide = imports.filter((i) => i.to === 'accel' && i.target !== 'src/accel/index.ts');
    expect(byTheSide.map((i) => `${i.file} imports ${i.target}`)).toEqual([]);
  });

  test('it finds the imports there are (the graph is not empty)', () => {
    expect(imports.some((i) => i.file === 'src/engine/grade-lab.ts' && i.to === 'sandbox')).toBe(true);
    expect(imports.some((i) => i.file === 'src/backends/choice.ts' && i.target === 'src/accel/index.ts')).toBe(true);
    expect(imports.some((i) => i.from === 'cli' && i.to === 'graders')).toBe(true);
  });
});

describe('layerViolations', () => {
  const edge = (from: string, to: string): PartImport => ({ from, to, file: `${from}/a.ts`, target: `${to}/b.ts` });
  const layers = [['low'], ['mid', 'side'], ['high']];

  test('an import into a higher layer is named', () => {
    expect(layerViolations(['low', 'high'], [edge('low', 'high')], layers)).toEqual(['upward: low/a.ts (layer 0) imports high/b.ts (layer 2)']);
  });

  test('parts of one layer may import each other, but not in a circle', () => {
    expect(layerViolations(['mid', 'side'], [edge('mid', 'side')], layers)).toEqual([]);
    expect(layerViolations(['mid', 'side'], [edge('mid', 'side'), edge('side', 'mid')], layers)).toEqual(['cycle: mid -> side']);
  });

  test('a circle through several layers is named once, with an upward arrow', () => {
    const problems = layerViolations(['low', 'mid', 'high'], [edge('high', 'mid'), edge('mid', 'low'), edge('low', 'high')], layers);
    expect(problems).toEqual(['upward: low/a.ts (layer 0) imports high/b.ts (layer 2)', 'cycle: high -> low -> mid']);
  });

  test('a part in no layer is named', () => {
    expect(layerViolations(['low', 'new'], [], layers)).toEqual(['new is in no declared layer']);
  });
});
