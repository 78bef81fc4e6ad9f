/** Handlebars rendering of the report templates in reports/templates. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { projectRoot } from '../paths.js';
import type { GradeResult } from '../contract/result.js';
import { cell, fence, quote } from './markdown-text.js';
import { costCurveSpec, pointsPerExerciseSpec, renderSvg } from './charts.js';
import { reportView } from './report-view.js';
import type { Lang } from '../i18n/messages.js';

const handlebars = Handlebars.create();
// Markdown templates use triple braces and these helpers for their own escaping.
handlebars.registerHelper('cell', (text: unknown) => cell(text === undefined || text === null ? '' : String(text)));
handlebars.registerHelper('quote', (text: string) => quote(text));
handlebars.registerHelper('fence', (code: string) => fence(code));

const compiled = new Map<string, HandlebarsTemplateDelegate>();

function template(name: string): HandlebarsTemplateDelegate {
  let found = compiled.get(name);
  if (!found) {
    found = handlebars.compile(readFileSync(path.join(projectRoot, 'reports', 'templates', name), 'utf8'), { strict: true });
    compiled.set(name, found);
  }
  return found;
}

/** Renders reports/templates/<name>; Markdown output loses the blank-line runs that block helpers leave. */
export function renderTemplate(name: string, view: object): string {
  const text = template(name)(view);
  return name.endsWith('.md.hbs') ? text.replace(/\n{3,}/g, '\n\n') : text;
}

export function renderMarkdown(result: GradeResult, lang: Lang = 'en'): string {
  return renderTemplate('report.md.hbs', reportView(result, lang));
}

/** One self-contained HTML file: styles inline, charts as inline SVG, no network. */
export async function renderHtml(result: GradeResult, lang: Lang = 'en'): Promise<string> {
  const view = reportView(result, lang);
  const labs = await Promise.all(
    view.labs.map(async (lab) => ({
      ...lab,
      chartSvg: await renderSvg(pointsPerExerciseSpec(lab.exercises, { earned: view.t.pointsEarned, missing: view.t.pointsMissed })),
      exercises: await Promise.all(
        lab.exercises.map(async (ex) => ({
          ...ex,
          curveSvg: ex.training?.costs.length ? await renderSvg(costCurveSpec(ex.training.costs, { epoch: view.t.epoch, cost: view.t.cost })) : undefined,
        })),
      ),
    })),
  );
  return renderTemplate('report.html.hbs', { ...view, labs });
}
