/** The HTML report is one self-contained file that a browser renders: checked in headless Chromium. */
import { expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { gradeSubmission, openSubmission } from '../../src/engine/grade-submission.js';
import { projectRoot } from '../../src/paths.js';
import { renderHtml } from '../../src/report/templates.js';
import { findChromium, renderInChromium } from './browser.js';
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
