/**
 * Escaping for text that comes from a submission (messages, names, code) when it goes into
 * Markdown reports: HTML's specials, Markdown's inline and line-start syntax (links and images,
 * emphasis and strikethrough, headings, tables, backslashes), bare links (shown as code) and every
 * line break, a lone CR included, so that no text can start a heading, a link, an image or a table
 * row of its own; and invisible characters (terminal escapes, bidirectional overrides), shown.
 */

/**
 * Characters that do something other than show themselves: C0 and C1 controls (a terminal's
 * escape sequences, a carriage return that overwrites a line) and the bidirectional overrides
 * that make text read otherwise than it is stored. Newlines and tabs are kept.
 */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** Text with its invisible characters shown as escapes (\x1b, \u202e), for any report or file a person reads. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Every string inside a value made visible (for a result about to be rendered). */
export function visibleStrings<T>(value: T): T {
  if (typeof value === 'string') return visible(value) as T;
  if (Array.isArray(value)) return value.map(visibleStrings) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visibleStrings(v)])) as T;
  return value;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Markdown's special characters, escaped with a backslash (GitHub and CommonMark render them as themselves). */
const MARKDOWN_SPECIALS = /[\\`*_[\]()#!|~]/g;

/** What renderers turn into a link by itself (GitHub's autolinks): shown as code, never a link. */
const BARE_LINK = /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s<>`()"']*/gi;

/** One line of inline Markdown: HTML and Markdown escaped, bare links as code, line breaks (CRLF, LF, a lone CR) as <br>. */
export function markdownInline(text: string): string {
  // Line breaks first: a CR is a break to Markdown renderers, not a character to show.
  const shown = visible(text.replace(/\r\n?/g, '\n'));
  const pieces: string[] = [];
  let last = 0;
  for (const m of shown.matchAll(BARE_LINK)) {
    // Inside a code span everything shows as itself (no entity would be decoded there).
    pieces.push(escapeInline(shown.slice(last, m.index)), `\`${m[0]}\``);
    last = m.index! + m[0].length;
  }
  pieces.push(escapeInline(shown.slice(last)));
  return pieces.join('');
}

function escapeInline(text: string): string {
  return escapeHtml(text).replace(MARKDOWN_SPECIALS, '\\$&').replace(/\n/g, '<br>');
}

/** A Markdown table cell: the same as inline text (a pipe cannot end the cell, a break cannot end the row). */
export const cell = markdownInline;

/** A block quote: each line of the text escaped and quoted. */
export function quote(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `> ${markdownInline(line)}`)
    .join('\n');
}

/** A fenced code block longer than any run of backticks inside it; lone CRs become line ends, invisible characters are shown escaped. */
export function fence(code: string, language = 'ts'): string {
  const text = visible(code.replace(/\r\n?/g, '\n'));
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${text}\n${ticks}`;
}
