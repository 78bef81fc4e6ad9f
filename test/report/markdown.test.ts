/** Golden-file test of report.md. Run with UPDATE_GOLDEN=1 to rewrite the golden file after a deliberate change. */
import { expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { gradeSubmission, openSubmission } from '../../src/engine/grade-submission.js';
import type { GradeResult } from '../../src/contract/result.js';
import { projectRoot } from '../../src/paths.js';
import { cell, fence, quote } from '../../src/report/markdown-text.js';
import { renderHtml, renderMarkdown } from '../../src/report/templates.js';
import { renderCheckFeedback } from '../../src/report/terminal.js';
import { SANDBOX } from '../sandbox-kind.js';

const GOLDEN = path.join(projectRoot, 'test', 'report', 'golden', 'sample-report-mistakes.md');

/** Timings, dates, paths and versions differ from run to run or machine to machine; nothing else may. */
function normalized(result: GradeResult): GradeResult {
  const fixed = {
    ...result,
    labgradeVersion: '0.0.0',
    gradedAt: '2026-01-01T00:00:00.000Z',
    submission: { ...result.submission, path: '/submissions/sample' },
    environment: { node: 'v20', platform: 'linux', arch: 'x64' },
    sandbox: { kind: 'bwrap' as const },
  };
  return JSON.parse(JSON.stringify(fixed, (k, v) => (k === 'durationMs' ? 0 : v)));
}

// A fixed backend: the golden file records which one ran, and float32 sums differ in the last digit between backends.
let graded: Promise<GradeResult> | undefined;
const sampleResult = () => (graded ??= gradeSubmission(openSubmission(path.join(projectRoot, 'examples/submissions/sample-report-mistakes')), [convStepByStep], { checks: 'all', sandbox: SANDBOX, backend: 'cpu' }));

test.each(['en', 'zh'] as const)('report.md (%s) for the sample-report example matches the golden file', async (lang) => {
  const result = await sampleResult();
  const markdown = renderMarkdown(normalized(result), lang);
  const golden = GOLDEN.replace('.md', `.${lang}.md`);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, markdown);
  expect(markdown).toBe(readFileSync(golden, 'utf8'));
});

test('a lab that labgrade could not grade in full says its points are not final, and why', async () => {
  const result = await sampleResult();
  const note = (r: GradeResult) => renderMarkdown(normalized(r), 'en').includes('**Not final**: some checks of this lab could not run this time, for a reason outside the submission');
  expect(note(result)).toBe(false);
  const incomplete = { ...result, labs: result.labs.map((lab) => ({ ...lab, incomplete: true })) };
  expect(note(incomplete)).toBe(true);
  expect(await renderHtml(normalized(incomplete), 'zh')).toContain('<p class="incomplete"><strong>尚未定分</strong>: 本实验有部分检查这次因提交代码以外的原因未能运行');
  expect(renderCheckFeedback(incomplete.labs[0])).toContain('Not final: some checks of this lab could not run this time');
});

test('table cells escape pipes, every line break, HTML and Markdown syntax', () => {
  expect(cell('a | b\n<script>')).toBe('a \\| b<br>&lt;script&gt;');
  // A lone CR is a line break to Markdown renderers: it must not start a heading of its own.
  expect(cell('ok\r# Total: 50 / 50')).toBe('ok<br>\\# Total: 50 / 50');
  expect(cell('![x](http://e.example/a.png) [y](http://e.example) *b* _i_ \\ `c`')).toBe('\\!\\[x\\]\\(`http://e.example/a.png`\\) \\[y\\]\\(`http://e.example`\\) \\*b\\* \\_i\\_ \\\\ \\`c\\`');
  // A bare link would be a link by itself (GitHub's autolinks): it is shown as code.
  expect(cell('see https://evil.example/x?y=1 or www.evil.example')).toBe('see `https://evil.example/x?y=1` or `www.evil.example`');
  // A quote ends a link: what follows is escaped text, and nothing inside the code span shows an entity.
  expect(cell('=HYPERLINK("http://e/")')).toBe('=HYPERLINK\\(&quot;`http://e/`&quot;\\)');
  expect(cell('http://e/<b>&amp;')).toBe('`http://e/`&lt;b&gt;&amp;amp;');
  // A terminal escape or a bidirectional override is shown, not obeyed.
  expect(cell('a\u001b[2Jb\u202ec')).toBe('a\\\\x1b\\[2Jb\\\\u202ec');
});

test('a quote and a code fence keep submitted text from breaking out', () => {
  expect(quote('line one\r# heading\n![img](x)')).toBe('> line one\n> \\# heading\n> \\!\\[img\\]\\(x\\)');
  expect(fence('a\r```\rb')).toBe('````ts\na\n```\nb\n````');
});

/**
 * English left in a report in another language, outside code: three or more English words in a
 * row, once code spans, fenced code, the "what it ran" column (code) and the names a report shows
 * as they are (people, software) are taken out.
 */
function englishProse(markdown: string, names: readonly string[]): string[] {
  const prose = markdown
    .replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, '')
    .split('\n')
    .map((line) => {
      const cells = line.startsWith('|') ? line.split(/(?<!\\)\|/).slice(1, -1) : null;
      // A check's row: id | what it ran | result | feedback | points; the first two are code.
      const kept = cells && cells.length === 5 ? cells.slice(2).join('|') : line;
      return names.reduce((text, name) => text.split(name).join(' '), kept.replace(/`[^`]*`/g, ' ').replace(/\\/g, ''));
    });
  return prose.flatMap((line) => line.match(/[A-Za-z]{2,}(?:[\s,;:()]+[A-Za-z]{2,}){2,}/g) ?? []);
}

test('the Chinese report has no English sentence outside code and names', () => {
  const zh = readFileSync(GOLDEN.replace('.md', '.zh.md'), 'utf8');
  expect(englishProse(zh, ['Sample Report Student', 'CNN example class'])).toEqual([]);
  // The check can fail: the English report is full of sentences.
  expect(englishProse(readFileSync(GOLDEN.replace('.md', '.en.md'), 'utf8'), []).length).toBeGreaterThan(20);
});
