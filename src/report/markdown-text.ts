/** Escaping for text that comes from a submission (messages, names) when it goes into Markdown or HTML reports. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** Escapes text for a Markdown table cell: HTML, pipes and newlines. */
export function cell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
