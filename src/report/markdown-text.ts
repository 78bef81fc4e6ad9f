/**
 * Escaping for text that comes from a submission (messages, names, code) when it goes into
 * Markdown reports: HTML's specials, Markdown's inline and line-start syntax (links and images,
 * emphasis, headings, tables, backslashes) and every line break, a lone CR included, so that no
 * text can start a heading, a link, an image or a table row of its own.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Markdown's special characters, escaped with a backslash (GitHub and CommonMark render them as themselves). */
const MARKDOWN_SPECIALS = /[\\`*_[\]()#!|]/g;

/** One line of inline Markdown: HTML and Markdown escaped, line breaks (CRLF, LF, a lone CR) as <br>. */
export function markdownInline(text: string): string {
  return escapeHtml(text).replace(MARKDOWN_SPECIALS, '\\$&').replace(/\r\n|\r|\n/g, '<br>');
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

/** A fenced code block longer than any run of backticks inside it; lone CRs become line ends, other control characters are shown escaped. */
export function fence(code: string, language = 'ts'): string {
  const text = code.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${text}\n${ticks}`;
}
