import { describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import type { ClassEntry } from '../../src/class/class-outputs.js';
import type { GradeResult } from '../../src/contract/result.js';
import { exportGradebook } from '../../src/platforms/lms-export.js';

function entry(folder: string, id: string | null, points: number): ClassEntry {
  const result = {
    student: id === null ? null : { id, name: `=HYPERLINK("x","${id}")` },
    labs: [{ id: 'conv-step-by-step', title: 'Lab 1', points, maxPoints: 50 }],
    total: { points, maxPoints: 50 },
  } as unknown as GradeResult;
  return { folder, result };
}

describe('LMS gradebooks without a roster', () => {
  test("a rostered student keeps their id against a folder off the roster that claims it", () => {
    const rostered = entry('alice', 's001', 50);
    rostered.result!.student!.source = 'roster';
    const exported = exportGradebook('csv', [rostered, entry('eve', 'S001', 10)]);
    expect(exported.unmatched).toEqual([{ folder: 'eve', why: 'student id S001 is claimed by alice, eve' }]);
    expect(parse(exported.text).map((row: string[]) => row[0])).toEqual(['student_id', 's001']);
  });

  test('a folder with no id, one that could not be graded, and an id two folders claim are not exported, each with its reason', () => {
    const entries: ClassEntry[] = [
      entry('a', 's1', 50),
      entry('b', null, 40),
      entry('c', 'twin', 30),
      // Ids compare without case, as LMS imports match them.
      entry('d', 'TWIN', 20),
      { folder: 'e', ungradable: { folder: 'e', reason: 'holds no lab file\nmore', manifest: { files: [], absent: [] }, labgradeVersion: '0', checks: 'all', labs: [], retry: false } },
    ];
    const exported = exportGradebook('csv', entries);
    expect(exported.unmatched).toEqual([
      { folder: 'b', why: 'no student id (give --roster, or a student.json)' },
      { folder: 'e', why: 'could not be graded: holds no lab file' },
      { folder: 'c', why: 'student id twin is claimed by c, d' },
      { folder: 'd', why: 'student id TWIN is claimed by c, d' },
    ]);
    const rows = parse(exported.text);
    expect(rows).toEqual([
      ['student_id', 'name', 'email', 'class', 'folder', 'conv-step-by-step', 'total', 'max_total'],
      // A name that a spreadsheet would run as a formula stays text.
      ['s1', `'=HYPERLINK("x","s1")`, '', '', 'a', '50', '50', '50'],
    ]);
  });
});
