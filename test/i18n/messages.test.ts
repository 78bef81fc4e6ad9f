/**
 * The message catalogues against the code: every id the code says is in both languages, and every
 * catalogue entry is one the code says (or, in a translation, a name the graders and recipes give
 * in English: lab and exercise titles, a public case's description). Every entry compiles as ICU
 * MessageFormat and renders with the parameters its English text names.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { labs } from '../../graders/index.js';
import { publishedWeights } from '../../graders/residual-networks.js';
import { MISMATCH_KINDS } from '../../src/compare/compare-values.js';
import { catalogue, langFromLocale, LANGS, render } from '../../src/i18n/messages.js';
import { loadRecipes } from '../../src/cases/recipes.js';
import { projectRoot } from '../../src/paths.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Ids written out in the code: string literals in a namespace the catalogues hold. */
const NAMESPACES = ['value', 'summary', 'compare', 'check', 'outcome', 'device', 'judge', 'layers', 'trained', 'grading', 'session', 'file'];
function literalIds(): Set<string> {
  const ids = new Set<string>();
  for (const file of [...sourceFiles(path.join(projectRoot, 'src')), ...sourceFiles(path.join(projectRoot, 'graders'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'([a-z]+(?:\.[a-z0-9-]+)+)'/g)) {
      // File names (summary.md, check.yml) share the shape.
      if (NAMESPACES.includes(m[1].split('.')[0]) && !/\.(md|html|hbs|yml|json|csv|xml|pdf)$/.test(m[1])) ids.add(m[1]);
    }
  }
  return ids;
}

/** Ids the code builds from the graders and the mismatch kinds. */
function builtIds(): { required: Set<string>; optional: Set<string> } {
  const required = new Set([...MISMATCH_KINDS.map((k) => `check.hidden-mismatch.${k}`), ...publishedWeights().map((w) => `published.${w.id}`)]);
  const optional = new Set<string>();
  for (const lab of labs) {
    for (const ex of lab.exercises) {
      for (const mistake of ex.mistakes) required.add(`mistake.${lab.id}.${ex.id}.${mistake.id}`);
      optional.add(`hint.${lab.id}.${ex.id}`);
    }
  }
  return { required, optional };
}

/** Names the graders and recipes give in English, which a translation may render in its language. */
function translatableNames(): Set<string> {
  const names = new Set<string>();
  for (const lab of labs) {
    names.add(`lab.${lab.id}.title`);
    for (const ex of lab.exercises) names.add(`exercise.${lab.id}.${ex.id}.title`);
    for (const c of loadRecipes(lab.id, 'public')) names.add(`case.${lab.id}.${c.key}`);
  }
  return names;
}

describe('message catalogues', () => {
  const used = literalIds();
  const { required, optional } = builtIds();

  test('every id the code uses is in every catalogue', () => {
    for (const lang of LANGS) {
      const missing = [...used, ...required].filter((id) => !(id in catalogue(lang)));
      expect([lang, missing]).toEqual([lang, []]);
    }
  });

  test('every English entry is one the code uses', () => {
    const unused = Object.keys(catalogue('en')).filter((id) => !used.has(id) && !required.has(id) && !optional.has(id));
    expect(unused).toEqual([]);
  });

  test('a translation has the English entries and names of the labs, exercises and public cases, nothing else', () => {
    const names = translatableNames();
    for (const lang of LANGS.filter((l) => l !== 'en')) {
      const en = catalogue('en');
      const extra = Object.keys(catalogue(lang)).filter((id) => !(id in en) && !names.has(id));
      const lacking = Object.keys(en).filter((id) => !(id in catalogue(lang)));
      expect([lang, extra, lacking]).toEqual([lang, [], []]);
      // Titles are names a report shows in every table: all of them are translated.
      const titles = [...names].filter((id) => id.endsWith('.title') && !(id in catalogue(lang)));
      expect([lang, titles]).toEqual([lang, []]);
    }
  });

  test('every entry compiles, and takes the same arguments in every language', () => {
    const argumentsOf = (text: string, lang: string) => {
      const names = new Set<string>();
      const walk = (elements: unknown[]) => {
        for (const e of elements as { type: number; value?: string; options?: Record<string, { value: unknown[] }> }[]) {
          if (e.type !== 0 && e.type !== 7 && e.value) names.add(e.value);
          for (const option of Object.values(e.options ?? {})) walk(option.value);
        }
      };
      walk(new IntlMessageFormat(text, lang).getAst());
      return [...names].sort();
    };
    for (const [id, text] of Object.entries(catalogue('en'))) {
      const expected = argumentsOf(text, 'en');
      for (const lang of LANGS) {
        const own = catalogue(lang)[id];
        if (own !== undefined) expect([id, lang, argumentsOf(own, lang)]).toEqual([id, lang, expected]);
      }
    }
  });

  test('refs render with nested refs in the same language, and counts take the plural', () => {
    const ref = { id: 'compare.at', params: { path: 'Z', detail: { id: 'compare.values-hidden', params: { count: '3', total: '10', at: '[0, 1]' } } } };
    expect(render(ref, 'en')).toBe('Z: 3 of 10 values differ (first at [0, 1])');
    expect(render(ref, 'zh')).toBe('Z：10 个值中有 3 个不同（第一个位于 [0, 1]）');
    expect(render({ id: 'value.array', params: { count: 1 } }, 'en')).toBe('an array of 1 item');
    expect(render({ id: 'value.array', params: { count: 2 } }, 'en')).toBe('an array of 2 items');
    const pair = { id: 'summary.items', params: { first: { id: 'value.null' }, rest: { id: 'value.number', params: { value: '1.5' } } } };
    expect(render({ id: 'summary.list', params: { items: pair } }, 'en')).toBe('[null, the number 1.5]');
    expect(render({ id: 'summary.list', params: { items: pair } }, 'zh')).toBe('[null，1.5]');
    // A list of clauses takes the language's clause separator.
    const problems = [{ id: 'judge.params.missing', params: { name: 'W1' } }, { id: 'judge.params.b3-not-zeros' }];
    expect(render({ id: 'judge.problems', params: { problems } }, 'en')).toBe('W1 is missing; b3 should start at zeros.');
  });

  test('a ref the catalogue does not hold, or whose parameters no longer fit it, renders as its id, never throws', () => {
    expect(render({ id: 'constructor' }, 'en')).toBe('constructor');
    expect(render({ id: 'no.such.message' }, 'zh')).toBe('no.such.message');
    expect(render({ id: 'compare.number' }, 'en')).toBe('compare.number {}');
  });

  test("a terminal's locale picks the language", () => {
    expect(langFromLocale({ LANG: 'zh_CN.UTF-8' })).toBe('zh');
    expect(langFromLocale({ LC_ALL: 'zh_TW', LANG: 'en_US.UTF-8' })).toBe('zh');
    expect(langFromLocale({ LANG: 'en_GB.UTF-8' })).toBe('en');
    expect(langFromLocale({})).toBe('en');
  });
});
