/**
 * Finds the student's own code in a lab file: the lines between each `### START CODE HERE ###` and
 * `### END CODE HERE ###` marker, grouped by the exported function they sit in (for the report).
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
  let current: string | null = null;
  let inside: string[] | null = null;
  for (const line of source.split(/\r?\n/)) {
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
    if (fn) current = fn[1] ?? fn[2];
    else if (START_MARKER.test(line)) inside = [];
  }
  return new Map([...blocks].map(([name, parts]) => [name, parts.filter(Boolean).join('\n// ...\n')]));
}
