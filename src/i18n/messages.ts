/**
 * Every sentence a student or instructor reads, from message catalogues in ICU MessageFormat
 * (reports/i18n/messages.<lang>.json, rendered with intl-messageformat: plurals, numbers). Code
 * keeps a message's id and parameters (a MessageRef, part of the result contract); results keep
 * the English text beside it for readers of result.json, and reports render the ref in their
 * language. Parameters are strings (numbers already written to the digits shown), numbers (counts,
 * for plurals) or other refs, rendered in the same language first.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import type { MessageParam, MessageRef } from '../contract/result.js';
import { UsageError } from '../errors.js';

export type Lang = 'en' | 'zh';
export const LANGS: readonly Lang[] = ['en', 'zh'];

export function parseLang(text: string | undefined): Lang {
  const lang = text ?? 'en';
  if (!(LANGS as readonly string[]).includes(lang)) throw new UsageError(`--lang must be one of ${LANGS.join(', ')}, got "${lang}"`);
  return lang as Lang;
}

/** The language a terminal's locale asks for (LC_ALL, LC_MESSAGES, LANG): zh_CN.UTF-8 is zh; anything else English. */
export function langFromLocale(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh([_.-]|$)/i.test(locale) ? 'zh' : 'en';
}

export type Catalogue = Readonly<Record<string, string>>;

const catalogues = new Map<Lang, Catalogue>();
const compiled = new Map<string, IntlMessageFormat>();

/**
 * The project's reports/i18n, found from this file's place (dist/src/i18n for the CLI, src/i18n for
 * the tests) without looking at the file system: a sandboxed child may not look for the project root.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const below = path.dirname(path.dirname(here));
const catalogueDir = path.join(path.basename(below) === 'dist' ? path.dirname(below) : below, 'reports', 'i18n');

export function catalogueFile(lang: Lang): string {
  return path.join(catalogueDir, `messages.${lang}.json`);
}

export function catalogue(lang: Lang): Catalogue {
  let found = catalogues.get(lang);
  if (!found) {
    found = JSON.parse(readFileSync(catalogueFile(lang), 'utf8')) as Catalogue;
    catalogues.set(lang, found);
  }
  return found;
}

export function hasMessage(id: string, lang: Lang = 'en'): boolean {
  return Object.hasOwn(catalogue(lang), id);
}

export { msg } from './message-ref.js';

/** Joins a list of clauses (problems found, differences) the way the language writes one. */
const SEPARATOR: Record<Lang, string> = { en: '; ', zh: '；' };

function renderParam(value: MessageParam, lang: Lang): string | number {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((v) => render(v, lang)).join(SEPARATOR[lang]);
  return render(value, lang);
}

function compile(text: string, lang: Lang): IntlMessageFormat {
  const key = `${lang}\u0000${text}`;
  let format = compiled.get(key);
  if (!format) {
    format = new IntlMessageFormat(text, lang === 'zh' ? 'zh-CN' : 'en');
    compiled.set(key, format);
  }
  return format;
}

/** An ICU message text with its arguments (the report labels, reports/i18n/<lang>.json). */
export function formatMessage(text: string, values: Record<string, string | number>, lang: Lang = 'en'): string {
  return String(compile(text, lang).format(values));
}

/** The message in `lang`; an id the catalogue lacks falls back to English, then to the id itself. */
export function render(ref: MessageRef, lang: Lang): string {
  const own = (l: Lang) => (hasMessage(ref.id, l) ? catalogue(l)[ref.id] : undefined);
  const text = own(lang) ?? (lang === 'en' ? undefined : own('en'));
  if (text === undefined) return ref.id;
  const params = Object.fromEntries(Object.entries(ref.params ?? {}).map(([k, v]) => [k, renderParam(v, lang)]));
  try {
    return formatMessage(text, params, lang);
  } catch {
    // A ref from an older result whose parameters no longer fit the catalogue: its id and parameters, not a crash.
    return `${ref.id} ${JSON.stringify(params)}`;
  }
}

export const english = (ref: MessageRef): string => render(ref, 'en');
