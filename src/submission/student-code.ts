/**
 * Finds the student's own code in a lab file: the lines between each `### START CODE HERE ###` and
 * `### END CODE HERE ###` marker, grouped by the exported function they sit in (for the report and
 * the class's similarity check); for an exported function without markers, all of it; and what the
 * student wrote outside the markers, against the lab's starter file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths.js';

const FUNCTION_START = /^\s*export\s+(?:async\s+)?function\s+([A-Za-z_$][\w$]*)|^\s*export\s+const\s+([A-Za-z_$][\w$]*)\s*=/;
// A marker is a line comment of its own (prose that mentions the markers is not one).
const START_MARKER = /^\s*\/\/\s*###\s*START CODE HERE\s*###/;
const END_MARKER = /^\s*\/\/\s*###\s*END CODE HERE\s*###/;

function dedent(lines: string[]): string {
  const indents = lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n').trim();
}

/** A lab's starter file (exercises/<file>), or '' where this labgrade has none: its lines are not the student's. */
export function starterSource(labFile: string): string {
  const file = path.join(projectRoot, 'exercises', labFile);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Lines as an editor shows them: a lone carriage return ends a line too. */
const lines = (source: string) => source.split(/\r\n|\r|\n/);

export function extractStudentCode(source: string): Map<string, string> {
  const blocks = new Map<string, string[]>();
  // Each exported function's whole text too: a function without markers (removed, or never there)
  // is the student's code as a whole, so that deleting the markers hides nothing.
  const wholes = new Map<string, string[]>();
  let current: string | null = null;
  let inside: string[] | null = null;
  const close = () => {
    if (inside && current) blocks.set(current, [...(blocks.get(current) ?? []), dedent(inside)]);
    inside = null;
  };
  for (const line of lines(source)) {
    if (current && !FUNCTION_START.test(line)) wholes.get(current)!.push(line);
    // A region whose END marker was removed ends where the next exported function starts.
    if (inside && FUNCTION_START.test(line)) close();
    if (inside) {
      if (END_MARKER.test(line)) close();
      else inside.push(line);
      continue;
    }
    const fn = FUNCTION_START.exec(line);
    if (fn) {
      current = fn[1] ?? fn[2];
      wholes.set(current, [line]);
    } else if (START_MARKER.test(line)) inside = [];
  }
  close();
  const code = new Map([...wholes].map(([name, text]) => [name, blocks.has(name) ? blocks.get(name)!.filter(Boolean).join('\n// ...\n') : dedent(text)]));
  return code;
}

/**
 * What a student wrote outside the markers of a lab file: the lines that are not the starter's
 * (helper functions, code moved out of the marked regions). With the marked regions, and the other
 * files a lab file imports, it is what the class's similarity check compares.
 */
export function codeOutsideMarkers(source: string, starter: string): string {
  const starterLines = new Set(lines(starter).map((l) => l.trim()));
  const added: string[] = [];
  let inside = false;
  for (const line of lines(source)) {
    if (inside && (END_MARKER.test(line) || FUNCTION_START.test(line))) inside = false;
    else if (!inside && START_MARKER.test(line)) inside = true;
    else if (!inside && line.trim() !== '' && !starterLines.has(line.trim())) added.push(line);
  }
  return dedent(added);
}
