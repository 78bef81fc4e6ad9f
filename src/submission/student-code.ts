/**
 * Finds the student's own code in a lab file: the lines between each `### START CODE HERE ###` and
 * `### END CODE HERE ###` marker, grouped by the exported function they sit in (for the report and
 * the class's similarity check); for an exported function without markers, all of it.
 */

const FUNCTION_START = /^\s*export\s+(?:async\s+)?function\s+([A-Za-z_$][\w$]*)|^\s*export\s+const\s+([A-Za-z_$][\w$]*)\s*=/;
// A marker is a line comment of its own (prose that mentions the markers is not one).
const START_MARKER = /^\s*\/\/\s*###\s*START CODE HERE\s*###/;
const END_MARKER = /^\s*\/\/\s*###\s*END CODE HERE\s*###/;

function dedent(lines: string[]): string {
  const indents = lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n').trim();
}

export function extractStudentCode(source: string): Map<string, string> {
  const blocks = new Map<string, string[]>();
  // Each exported function's whole text too: a function without markers (removed, or never there)
  // is the student's code as a whole, so that deleting the markers hides nothing.
  const wholes = new Map<string, string[]>();
  let current: string | null = null;
  let inside: string[] | null = null;
  for (const line of source.split(/\r?\n/)) {
    if (current && !FUNCTION_START.test(line)) wholes.get(current)!.push(line);
    if (inside) {
      if (END_MARKER.test(line)) {
        if (current) blocks.set(current, [...(blocks.get(current) ?? []), dedent(inside)]);
        inside = null;
      } else {
        inside.push(line);
      }
      continue;
    }
    const fn = FUNCTION_START.exec(line);
    if (fn) {
      current = fn[1] ?? fn[2];
      wholes.set(current, [line]);
    } else if (START_MARKER.test(line)) inside = [];
  }
  const code = new Map([...wholes].map(([name, lines]) => [name, blocks.has(name) ? blocks.get(name)!.filter(Boolean).join('\n// ...\n') : dedent(lines)]));
  return code;
}
