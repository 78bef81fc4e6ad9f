/** The HTML report is one self-contained file that a browser renders: checked in headless Chromium. */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execa, execaNode } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { gradeSubmission, openSubmission } from '../../src/engine/grade-submission.js';
import { projectRoot } from '../../src/paths.js';
import { renderHtml } from '../../src/report/templates.js';
import { findChromium, findTool, measureLayout, renderInChromium } from './browser.js';
import { SANDBOX } from '../sandbox-kind.js';

test('report.html renders in Chromium with the header, total, chart and checks, and loads nothing from outside', async () => {
  const result = await gradeSubmission(openSubmission(path.join(projectRoot, 'examples/submissions/sample-report-mistakes')), [convStepByStep], { checks: 'all', sandbox: SANDBOX });
  const html = await renderHtml(result, 'en');
  // Self-contained: no scripts, stylesheets, images or fonts fetched from anywhere.
  expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
  expect(html).not.toMatch(/\s(src|href)=/i);
  const chromium = await findChromium();
  if (!chromium) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-html-'));
  const file = path.join(dir, 'report.html');
  writeFileSync(file, html);
  const screenshot = path.join(dir, 'report.png');
  const dom = await renderInChromium(chromium, file, screenshot);
  expect(dom).toContain('<p class="total" id="total">Total: 39 / 50</p>');
  expect(dom).toContain('<td id="student-id">example-sample-report</td>');
  expect(dom).toMatch(/<figure class="chart">[\s\S]*<svg[\s\S]*<\/svg>/);
  expect((dom.match(/<tr class="check /g) ?? []).length).toBe(53);
  expect(dom).toContain('You multiplied by the bias instead of adding it.');
  expect(statSync(screenshot).size).toBeGreaterThan(20_000);
  expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
});

test('the Chinese report uses the Chinese labels', async () => {
  const result = await gradeSubmission(openSubmission(path.join(projectRoot, 'examples/submissions/correct-vectorized')), [convStepByStep], { checks: 'all', sandbox: SANDBOX });
  const html = await renderHtml(result, 'zh');
  expect(html).toContain('<html lang="zh">');
  expect(html).toContain('实验目的');
  expect(html).toContain('总分: 50 / 50');
  expect(html).toContain('所有练习均通过全部检查。');
});

test.each(['en', 'zh'] as const)('at A4 width (%s), every status and points cell takes one line and nothing is wider than the page', async (lang) => {
  const result = await gradeSubmission(openSubmission(path.join(projectRoot, 'examples/submissions/sample-report-mistakes')), [convStepByStep], { checks: 'all', sandbox: SANDBOX });
  const chromium = await findChromium();
  if (!chromium) return;
  const layout = await measureLayout(chromium, await renderHtml(result, lang));
  expect(layout.statusLines[lang === 'zh' ? '通过' : 'passed']).toBe(1);
  expect(layout.statusLines[lang === 'zh' ? '未通过' : 'failed']).toBe(1);
  expect(layout.tallestStatus).toBe(1);
  expect(layout.overflow).toBeLessThanOrEqual(0);
}, 120_000);

describe('--pdf', () => {
  const BIN = path.join(projectRoot, 'bin', 'labgrade.js');
  const example = path.join(projectRoot, 'examples/submissions/sample-report-mistakes');

  test('grade --pdf prints report.pdf on A4 with the report in it', async () => {
    const chromium = await findChromium();
    const pdftotext = await findTool('pdftotext');
    if (!chromium || !pdftotext) return;
    const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-pdf-'));
    const graded = await execaNode(BIN, ['grade', example, '--lab', 'conv-step-by-step', '--out', out, '--pdf', '--sandbox', SANDBOX], { reject: false, all: true });
    expect(graded.exitCode).toBe(0);
    expect(graded.stdout).toContain('report.html, report.pdf,');
    const info = (await execa('pdfinfo', [path.join(out, 'report.pdf')])).stdout;
    // A4 is 595 × 842 points; the report runs over several pages (each lab starts one).
    expect(info).toMatch(/Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)/);
    expect(Number(/Pages:\s+(\d+)/.exec(info)?.[1])).toBeGreaterThan(3);
    // Table cells wrap their lines: the words are compared with whitespace collapsed.
    const text = (await execa(pdftotext, [path.join(out, 'report.pdf'), '-'])).stdout.replace(/\s+/g, ' ');
    expect(text).toContain('Total: 39 / 50');
    expect(text).toContain('multiplied by the bias instead of adding it.');
  }, 120_000);

  test('without Chromium, --pdf says so and everything else is written', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-pdf-missing-'));
    const graded = await execaNode(BIN, ['grade', example, '--lab', 'conv-step-by-step', '--out', out, '--pdf', '--sandbox', SANDBOX], { reject: false, all: true, env: { LABGRADE_CHROMIUM: '/nonexistent/chromium' } });
    expect(graded.exitCode).toBe(0);
    expect(graded.stderr).toContain('labgrade: warning: --pdf: LABGRADE_CHROMIUM names /nonexistent/chromium, which does not exist');
    expect(existsSync(path.join(out, 'report.pdf'))).toBe(false);
    for (const file of ['result.json', 'report.md', 'report.html', 'gradescope-results.json', 'junit.xml']) expect(existsSync(path.join(out, file))).toBe(true);
  }, 120_000);
});
