/** JSON Schema validation (ajv) for labgrade's data files and results. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { schemasDir } from './paths.js';

// strictRequired is off because a oneOf branch may require a property declared beside it.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });

export class SchemaError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SchemaError';
  }
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`);
}

/**
 * Returns a validator for schemas/<file> that throws a SchemaError naming each problem. The schema
 * is compiled on first use, so importing a module costs nothing.
 */
/** One validator per schema file: ajv refuses a second schema with the same $id (two modules reading student.json and the roster both compile it). */
const compiled = new Map<string, ValidateFunction>();

export function compileSchema<T>(file: string): (data: unknown, source: string) => T {
  return (data, source) => {
    let validate = compiled.get(file);
    if (!validate) {
      validate = ajv.compile(JSON.parse(readFileSync(path.join(schemasDir, file), 'utf8')));
      compiled.set(file, validate);
    }
    if (!validate(data)) throw new SchemaError(source, describe(validate.errors));
    return data as T;
  };
}
