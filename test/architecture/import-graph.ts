/**
 * The import graph between the parts of src/ (each folder directly under src/, and each file at its
 * top) and graders/ (one part), as TypeScript's own pre-processor reads each file's imports: static
 * imports and re-exports, `import x = require()`, and dynamic imports of a literal path. Type-only
 * imports count: a type is as much a dependency of the design as a value.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One import between two files, with the parts they are in (paths relative to the project). */
export interface PartImport {
  from: string;
  to: string;
  file: string;
  target: string;
}

/** The folders read: src/ by its parts, graders/ as one. */
export const READ = ['src', 'graders'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** The part a file belongs to: graders, or its top folder under src/ (or itself at src/'s top); null outside what is read. */
export function partOf(file: string): string | null {
  const [top, first] = file.split('/');
  if (top === 'graders') return 'graders';
  if (top !== 'src' || first === undefined) return null;
  return first;
}

/** Every import between two files of the folders read, and every file read. */
export function fileImports(root: string): { files: string[]; imports: PartImport[] } {
  const files: string[] = [];
  const imports: PartImport[] = [];
  for (const full of READ.flatMap((dir) => sourceFiles(path.join(root, dir)))) {
    const file = path.relative(root, full).split(path.sep).join('/');
    files.push(file);
    for (const imported of ts.preProcessFile(readFileSync(full, 'utf8'), true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), imported.fileName)).replace(/\.js$/, '.ts');
      const to = partOf(target);
      if (to !== null) imports.push({ from: partOf(file)!, to, file, target });
    }
  }
  return { files, imports };
}

/** Every import of a file into a file of another part. */
export function partImports(root: string): { parts: Set<string>; imports: PartImport[] } {
  const { files, imports } = fileImports(root);
  return { parts: new Set(files.map((f) => partOf(f)!)), imports: imports.filter((i) => i.from !== i.to) };
}

/**
 * What breaks the declared layers (lowest first; parts of one layer may import each other):
 * a part no layer names, an import into a higher layer, and every cycle between parts.
 */
export function layerViolations(parts: Iterable<string>, imports: readonly PartImport[], layers: readonly (readonly string[])[]): string[] {
  const layerOf = new Map(layers.flatMap((names, level) => names.map((name) => [name, level] as const)));
  const problems: string[] = [];
  for (const part of parts) if (!layerOf.has(part)) problems.push(`${part} is in no declared layer`);
  for (const i of imports) {
    const [from, to] = [layerOf.get(i.from), layerOf.get(i.to)];
    if (from !== undefined && to !== undefined && to > from) problems.push(`upward: ${i.file} (layer ${from}) imports ${i.target} (layer ${to})`);
  }
  for (const cycle of cycles(imports)) problems.push(`cycle: ${cycle.join(' -> ')}`);
  return problems;
}

/** Each cycle between parts, once: the strongly connected parts (Tarjan), named in order. */
export function cycles(imports: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (part: string) => {
    index.set(part, index.size);
    low.set(part, index.get(part)!);
    stack.push(part);
    onStack.add(part);
    for (const to of next.get(part) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(part, Math.min(low.get(part)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(part, Math.min(low.get(part)!, index.get(to)!));
    }
    if (low.get(part) === index.get(part)) {
      const component: string[] = [];
      let top: string;
      do {
        top = stack.pop()!;
        onStack.delete(top);
        component.push(top);
      } while (top !== part);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const part of next.keys()) if (!index.has(part)) visit(part);
  return found;
}
