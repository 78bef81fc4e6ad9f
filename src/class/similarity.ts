/**
 * Similarity of the student-written code across a class: the regions between the START/END
 * markers, with what a student wrote outside them (result.json keeps both), are tokenized
 * (identifiers, numbers and strings normalized, so renaming does not hide a copy), fingerprinted
 * and compared pairwise by winnowing (@dodona/dolos-core, the engine of Dolos). The starter file's
 * regions are ignored, so identical starter code never counts. A pair scores the larger of its
 * similarity and how much of one side the other contains, so code padded around a copy still
 * shows. Pairs above the threshold are flagged for a person to look at; nothing is penalised.
 */
import { FingerprintIndex, File, Region, TokenizedFile } from '@dodona/dolos-core';
import { extractStudentCode } from '../submission/student-code.js';

export interface SimilarityFlag {
  left: string;
  right: string;
  lab: string;
  /** Share of both sides covered by common fingerprints, or of the one side the other contains if more, 0..1. */
  similarity: number;
}

export interface StudentCode {
  folder: string;
  lab: string;
  /** The student's code between the markers (result.json keeps it per exercise). */
  code: string;
}

/** Tokens short enough that common idioms match, long enough that a copied function stands out. */
const KGRAM_LENGTH = 12;
const KGRAMS_IN_WINDOW = 8;
/**
 * The most tokens of one student's lab compared (a course solution has about 1,500): code blown up
 * with repeated lines would otherwise make every pair's comparison slow for the whole class.
 */
const MAX_TOKENS = 20_000;
/** The fewest fingerprints a side needs for "the other contains it" to count: a few common lines are not a copy. */
const MIN_CONTAINED = 40;
export const DEFAULT_THRESHOLD = 0.8;

const KEYWORDS = new Set(
  'break case catch class const continue default do else export extends false finally for function if import in instanceof let new null of return switch this throw true try typeof undefined var void while as type interface'.split(' '),
);

/** Comments dropped; identifiers, numbers and strings reduced to their kind; at most `limit` tokens. */
export function tokenize(code: string, limit = Infinity): { tokens: string[]; regions: Region[] } {
  const tokens: string[] = [];
  const regions: Region[] = [];
  // Tokens come in order: the line of each is found by walking forward, never searched again.
  let line = 0;
  let lineStart = 0;
  const position = (offset: number): [number, number] => {
    for (let next = code.indexOf('\n', lineStart); next !== -1 && next < offset; next = code.indexOf('\n', lineStart)) {
      line++;
      lineStart = next + 1;
    }
    return [line, offset - lineStart];
  };
  const pattern = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|([A-Za-z_$][\w$]*)|(\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?)|("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`)|(\S)/g;
  for (const m of code.matchAll(pattern)) {
    if (tokens.length >= limit) break;
    if (m[1] === undefined && m[2] === undefined && m[3] === undefined && m[4] === undefined) continue; // a comment
    const token = m[1] !== undefined ? (KEYWORDS.has(m[1]) ? m[1] : 'id') : m[2] !== undefined ? 'num' : m[3] !== undefined ? 'str' : m[4];
    const [startRow, startCol] = position(m.index!);
    const savedLine = line;
    const savedStart = lineStart;
    const [endRow, endCol] = position(m.index! + m[0].length);
    // A token spans lines only if it is a string or comment; the next token starts from its start.
    line = savedLine;
    lineStart = savedStart;
    tokens.push(token);
    regions.push(new Region(startRow, startCol, endRow, endCol));
  }
  return { tokens, regions };
}

/** The regions between the markers of a whole lab file (for the starter). */
export function markedRegions(source: string): string {
  return [...extractStudentCode(source).values()].join('\n');
}

function tokenized(name: string, code: string): TokenizedFile {
  const { tokens, regions } = tokenize(code, MAX_TOKENS);
  return new TokenizedFile(new File(name, code), tokens, regions);
}

/** Flags pairs of students, per lab, whose marked regions are at least `threshold` similar; `starterCode` maps a lab to its starter's regions. */
export function similarPairs(students: readonly StudentCode[], starterCode: ReadonlyMap<string, string>, threshold = DEFAULT_THRESHOLD): SimilarityFlag[] {
  const flags: SimilarityFlag[] = [];
  for (const lab of new Set(students.map((s) => s.lab))) {
    const files = students
      .filter((s) => s.lab === lab)
      .map((s) => ({ folder: s.folder, file: tokenized(s.folder, s.code) }))
      .filter((s) => s.file.tokens.length >= KGRAM_LENGTH);
    if (files.length < 2) continue;
    const index = new FingerprintIndex(KGRAM_LENGTH, KGRAMS_IN_WINDOW);
    index.addFiles(files.map((f) => f.file));
    // Ignoring moves fingerprints already indexed aside, so the starter comes after the students.
    const starter = starterCode.get(lab);
    if (starter) index.addIgnoredFile(tokenized('starter', starter));
    const folderOf = new Map(files.map((f) => [f.file, f.folder]));
    for (const pair of index.allPairs()) {
      const contained = (covered: number, total: number) => (total >= MIN_CONTAINED ? covered / total : 0);
      const score = Math.max(pair.similarity, contained(pair.leftCovered, pair.leftTotal), contained(pair.rightCovered, pair.rightTotal));
      if (score < threshold) continue;
      const [left, right] = [folderOf.get(pair.leftFile)!, folderOf.get(pair.rightFile)!].sort();
      flags.push({ left, right, lab, similarity: Math.round(score * 1000) / 1000 });
    }
  }
  return flags.sort((a, b) => b.similarity - a.similarity || a.left.localeCompare(b.left) || a.right.localeCompare(b.right));
}
