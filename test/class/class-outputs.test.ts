import { expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { duplicateIds, renderGradebook, sameTrainedWeights, type ClassEntry } from '../../src/class/class-outputs.js';
import type { GradeResult, ModelScores } from '../../src/contract/result.js';
import { identifyPublished, publishedWeights } from '../../graders/residual-networks.js';

const PUBLISHED = publishedWeights()[0];
const hash = (c: string) => c.repeat(64);
/** A sample of kernel values: a seeded pseudo-random one, or `base` with every `every`-th value negated. */
const sample = (seed: number) =>
  Array.from({ length: 512 }, (_, i) => {
    const x = Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453;
    return (x - Math.floor(x) - 0.5) * 0.1;
  });
const changed = (base: number[], every: number) => base.map((v, i) => (i % every === 0 ? -v : v));

/** A graded Lab 3 whose trained model has these weights (only what the gradebook reads). */
function withModel(folder: string, weightsSha256: string, weightsSample: number[]): ClassEntry {
  const scores: ModelScores = identifyPublished({ file: 'resnet50.h5', test: { correct: 118, total: 120, accuracy: 118 / 120 }, decidedBy: 'test', weightsSha256, weightsSample });
  const lab = { id: 'residual-networks', title: 'Residual Networks', file: 'residual-networks.ts', status: 'graded', points: 15, maxPoints: 50, durationMs: 1, exercises: [{ id: 'trainedModel', title: 'Trained', graded: true, status: 'passed', points: 15, maxPoints: 15, checks: [], scores }] };
  const result = { labs: [lab], total: { points: 15, maxPoints: 50 }, sandbox: { kind: 'bwrap' }, submission: { path: folder, contentHash: '', files: [], absent: [] } } as unknown as GradeResult;
  return { folder, result };
}

test('the published weights are named as such, whoever hands them in, changed or not; one model in several folders is flagged in each, changed or not', () => {
  expect(identifyPublished({ file: 'a.h5', test: { correct: 1, total: 1, accuracy: 1 }, decidedBy: 'test', weightsSha256: hash('0'), weightsSample: sample(0) }).published).toBeUndefined();
  // A copy with one value in eight changed hashes differently; its sample still correlates 0.75 with the published one.
  const pubChanged = withModel('pub-b', hash('3'), changed(PUBLISHED.sample, 8));
  expect(pubChanged.result!.labs[0].exercises[0].scores!.published).toMatch(/^the course's published pretrained ResNet50 for SIGNS \(the notebook's resnet50\.h5\), or weights made from it \(kernels correlating 0\.\d+ with it\)$/);
  const entries = [withModel('pub-a', PUBLISHED.sha256, PUBLISHED.sample), pubChanged, withModel('own', hash('1'), sample(1)), withModel('twin-a', hash('2'), sample(2)), withModel('twin-b', hash('4'), changed(sample(2), 8)), withModel('other', hash('5'), sample(5))];
  // The published weights are flagged as such, not as one student's model shared with another.
  expect(sameTrainedWeights(entries)).toEqual([{ folders: ['twin-a', 'twin-b'] }]);
  const rows = parse(renderGradebook(entries), { columns: true }) as { folder: string; flags: string }[];
  expect(Object.fromEntries(rows.map((r) => [r.folder, r.flags]))).toEqual({
    'pub-a': 'trained model: the published weights',
    'pub-b': 'trained model: the published weights',
    own: '',
    other: '',
    'twin-a': 'trained model: the same weights as twin-b',
    'twin-b': 'trained model: the same weights as twin-a',
  });
});

test('two folders claiming one id in different case are one duplicate, flagged in both rows', () => {
  const claim = (folder: string, id: string): ClassEntry => ({
    folder,
    result: { student: { id }, labs: [], total: { points: 0, maxPoints: 50 }, sandbox: { kind: 'bwrap' }, submission: { path: folder, contentHash: '', files: [], absent: [] } } as unknown as GradeResult,
  });
  const entries = [claim('alice', 's001'), claim('padder', 'S001'), claim('bob', 's002')];
  expect(duplicateIds(entries)).toEqual([{ id: 's001 / S001', folders: ['alice', 'padder'], unentitled: ['alice', 'padder'] }]);
  const rows: Record<string, string>[] = parse(renderGradebook(entries), { columns: true });
  expect(rows.map((r) => [r.folder, r.flags])).toEqual([['alice', 'duplicate id'], ['padder', 'duplicate id'], ['bob', '']]);
});

test("a folder off the roster cannot take a rostered student's id: the roster's folder keeps it, the other is flagged", () => {
  const claim = (folder: string, id: string, source: 'roster' | 'student.json'): ClassEntry => ({
    folder,
    result: { student: { id, source }, labs: [], total: { points: 0, maxPoints: 50 }, sandbox: { kind: 'bwrap' }, submission: { path: folder, contentHash: '', files: [], absent: [] } } as unknown as GradeResult,
  });
  const entries = [claim('alice', 's001', 'roster'), claim('eve', 'S001', 'student.json')];
  expect(duplicateIds(entries)).toEqual([{ id: 's001 / S001', folders: ['alice', 'eve'], unentitled: ['eve'] }]);
  const rows: Record<string, string>[] = parse(renderGradebook(entries), { columns: true });
  expect(rows.map((r) => [r.folder, r.flags])).toEqual([['alice', ''], ['eve', 'duplicate id']]);
});

test('the published weights with their channels reordered, and a classmate model so reordered, are told apart by channel norms', () => {
  // Reordered: every sampled position holds another value, the sorted channel norms are the same.
  const reordered = (folder: string, norms: number[], seed: number): ClassEntry => {
    const scores: ModelScores = identifyPublished({ file: 'resnet50.h5', test: { correct: 118, total: 120, accuracy: 118 / 120 }, decidedBy: 'test', weightsSha256: hash(String(seed)), weightsSample: sample(seed), channelNorms: norms });
    const lab = { id: 'residual-networks', title: 'Residual Networks', file: 'residual-networks.ts', status: 'graded', points: 15, maxPoints: 50, durationMs: 1, exercises: [{ id: 'trainedModel', title: 'Trained', graded: true, status: 'passed', points: 15, maxPoints: 15, checks: [], scores }] };
    return { folder, result: { labs: [lab], total: { points: 15, maxPoints: 50 }, sandbox: { kind: 'bwrap' }, submission: { path: folder, contentHash: '', files: [], absent: [] } } as unknown as GradeResult };
  };
  const own = PUBLISHED.channelNorms.map((v, i) => v * (1.05 + 0.01 * Math.sin(i)));
  const entries = [reordered('perm', PUBLISHED.channelNorms, 11), reordered('alice', own, 12), reordered('alice-copy', own, 13), reordered('bob', PUBLISHED.channelNorms.map((v) => v * 0.9), 14)];
  expect(entries[0].result!.labs[0].exercises[0].scores!.published).toMatch(/, with its channels reordered, rescaled or negated \(100% of its channel norm profile the same\)$/);
  expect(entries.slice(1).map((e) => e.result!.labs[0].exercises[0].scores!.published)).toEqual([undefined, undefined, undefined]);
  expect(sameTrainedWeights(entries)).toEqual([{ folders: ['alice', 'alice-copy'] }]);
});
