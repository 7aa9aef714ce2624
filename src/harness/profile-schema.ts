import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { closestKey } from './did-you-mean';
import type { KeyPath } from './profile-document';

/**
 * The IUT profile's JSON Schema (`profile.schema.json` at the package root, draft 2020-12): the
 * single source of the profile's keys, types, enums, ranges and defaults. Editors read the same
 * file to complete and check profiles; here it is applied with Ajv and its findings are turned
 * into problems a person can act on: the full key path, what the value must be, what it is,
 * and for an unknown key the allowed key it probably meant.
 */

/** The parts of JSON Schema that profile.schema.json uses. */
export interface JsonSchema {
  readonly $id?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly description?: string;
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: boolean | JsonSchema;
  readonly propertyNames?: JsonSchema;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  /** An extension editors know (VS Code, yaml-language-server): the message for a failed pattern. */
  readonly patternErrorMessage?: string;
  readonly default?: unknown;
}

/** A problem the schema finds; `at` says whether the position is the key's or the value's. */
export interface SchemaProblem {
  readonly path: KeyPath;
  readonly detail: string;
  readonly at: 'key' | 'value';
}

export const PROFILE_SCHEMA_NAME = 'profile.schema.json';

/** The schema file of this package (the package root holds it, in a checkout and once installed). */
export function profileSchemaFile(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, PROFILE_SCHEMA_NAME);
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find ${PROFILE_SCHEMA_NAME} in the package above ${__dirname}`);
    dir = up;
  }
}

let schemaCache: JsonSchema | null = null;
let validatorCache: ValidateFunction | null = null;

export function profileSchema(): JsonSchema {
  schemaCache ??= JSON.parse(readFileSync(profileSchemaFile(), 'utf8')) as JsonSchema;
  return schemaCache;
}

function validator(): ValidateFunction {
  if (!validatorCache) {
    // allErrors: every problem of a profile at once. verbose: each error carries its schema and
    // data, from which the messages below are written. The union types ([object, null]) say
    // that an empty section (`capabilities:` with everything commented out) is allowed.
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword('patternErrorMessage');
    validatorCache = ajv.compile(profileSchema());
  }
  return validatorCache;
}

/** A schema with its local `$ref` followed; keywords beside the `$ref` win over the target's. */
export function resolveRef(schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const prefix = '#/$defs/';
  if (!schema.$ref.startsWith(prefix)) throw new Error(`${PROFILE_SCHEMA_NAME}: unsupported $ref ${schema.$ref}`);
  const target = profileSchema().$defs?.[schema.$ref.slice(prefix.length)];
  if (!target) throw new Error(`${PROFILE_SCHEMA_NAME}: $ref ${schema.$ref} names nothing`);
  const { $ref: _ref, ...beside } = schema;
  return { ...resolveRef(target), ...beside };
}

/** The values an `enum` schema in `$defs` allows (e.g. the control modes, the procedures). */
export function schemaEnum(defName: string): readonly string[] {
  const values = profileSchema().$defs?.[defName]?.enum;
  if (!values) throw new Error(`${PROFILE_SCHEMA_NAME}: $defs.${defName} has no enum`);
  return values.map(String);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function types(schema: JsonSchema): readonly string[] {
  return schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;
}

function has(o: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/**
 * Fills in the schema's `default`s where a key is left out, and reads an empty section
 * (`timers:` with no value) as an empty mapping, so that its own defaults apply. Works on the
 * data in place; follows `properties`, and the mapping branch of an `anyOf`.
 */
export function applyDefaults(data: unknown, schema: JsonSchema = profileSchema()): void {
  if (!isPlainObject(data)) return;
  const s = resolveRef(schema);
  for (const [key, sub] of Object.entries(s.properties ?? {})) {
    const r = resolveRef(sub);
    if (!has(data, key) && r.default !== undefined) data[key] = structuredClone(r.default);
    else if (has(data, key) && data[key] === null && types(r).includes('object')) data[key] = {};
    if (has(data, key)) applyDefaults(data[key], r);
  }
  for (const branch of s.anyOf ?? []) {
    const r = resolveRef(branch);
    if (types(r).includes('object')) applyDefaults(data, r);
  }
}

/** Every place `data` departs from the schema, one problem per key path. */
export function schemaProblems(data: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  const add = (p: SchemaProblem): void => {
    const id = JSON.stringify(p.path);
    if (seen.has(id)) return;
    seen.add(id);
    problems.push(p);
  };
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  for (const e of errors) {
    const path = pointerPath(e.instancePath);
    const union = unions.find((u) => u !== e && isWithin(e.instancePath, u.instancePath));
    if (union && !keptInUnion(e, union)) continue;
    if (union === undefined && isWithinPropertyNames(e, errors)) continue;
    // A mapping that fails the union is reported through what is wrong inside it.
    if (e.keyword === 'anyOf' && isPlainObject(e.data)) continue;
    const problem = describeError(e, path, errors);
    if (problem) add(problem);
  }
  return problems;
}

/**
 * Inside an `anyOf` (the scalar or mapping forms of `control`), only the branch of the value's
 * own kind is worth reporting: for a mapping, what is wrong inside it; for anything else, one
 * message naming every form allowed (the `anyOf` error itself).
 */
function keptInUnion(e: ErrorObject, union: ErrorObject): boolean {
  if (!isPlainObject(union.data)) return false;
  return e.instancePath !== union.instancePath || e.keyword === 'additionalProperties' || e.keyword === 'required';
}

/** The `pattern` error Ajv reports beside a `propertyNames` error, for the same name. */
function isWithinPropertyNames(e: ErrorObject, errors: readonly ErrorObject[]): boolean {
  return errors.some((p) => p.keyword === 'propertyNames' && p !== e && e.schemaPath.startsWith(`${p.schemaPath}/`));
}

function isWithin(pointer: string, parent: string): boolean {
  return pointer === parent || pointer.startsWith(`${parent}/`);
}

function describeError(e: ErrorObject, path: KeyPath, errors: readonly ErrorObject[]): SchemaProblem | null {
  const parent = resolveRef(e.parentSchema as JsonSchema);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(parent.properties ?? {});
      const guess = closestKey(key, allowed);
      return { path: [...path, key], at: 'key', detail: `unknown key${guess ? `; did you mean '${guess}'?` : ''} (allowed here: ${allowed.join(', ')})` };
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      const sub = parent.properties?.[key];
      return { path: [...path, key], at: 'key', detail: `is required${sub ? ` (${describeSchema(resolveRef(sub))})` : ''}` };
    }
    case 'propertyNames': {
      const name = String((e.params as { propertyName: string }).propertyName);
      const inner = errors.find((p) => p !== e && p.schemaPath.startsWith(`${e.schemaPath}/`) && p.data === name);
      const rule = inner ? resolveRef(inner.parentSchema as JsonSchema) : undefined;
      return { path: [...path, name], at: 'key', detail: rule?.patternErrorMessage ?? `is not an allowed name${rule ? ` (${describeSchema(rule)})` : ''}` };
    }
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      return { path: [...path, i], at: 'value', detail: `repeats item ${j + 1} (${show((e.data as unknown[])[i])}); list each once` };
    }
    case 'pattern':
      if (parent.patternErrorMessage) return { path, at: 'value', detail: parent.patternErrorMessage };
      return valueProblem(path, parent, e.data);
    default:
      return valueProblem(path, parent, e.data);
  }
}

function valueProblem(path: KeyPath, schema: JsonSchema, value: unknown): SchemaProblem {
  // No silent conversion: `name: 2.1` is a number in YAML; quoting says what was meant.
  const quote = types(schema).includes('string') && (typeof value === 'number' || typeof value === 'boolean') ? ' (quote it if it is meant as text)' : '';
  return { path, at: 'value', detail: `must be ${describeSchema(schema)}, got ${show(value)}${quote}` };
}

/** What a value must be, in words: "an integer from 1 to 65535", "one of a, b, c". */
export function describeSchema(schema: JsonSchema): string {
  const s = resolveRef(schema);
  if (s.enum) return `one of ${s.enum.map(String).join(', ')}`;
  if (s.anyOf) return s.anyOf.map(describeSchema).join(' or ');
  const words = types(s)
    .filter((t) => t !== 'null')
    .map((t) => describeType(t, s));
  return words.length > 0 ? words.join(' or ') : 'a value';
}

function describeType(type: string, s: JsonSchema): string {
  switch (type) {
    case 'integer':
    case 'number': {
      const noun = type === 'integer' ? 'an integer' : 'a number';
      if (s.minimum !== undefined && s.maximum !== undefined) return `${noun} from ${s.minimum} to ${s.maximum}`;
      if (s.exclusiveMinimum !== undefined) return `${noun} greater than ${s.exclusiveMinimum}`;
      if (s.minimum !== undefined) return `${noun} of at least ${s.minimum}`;
      return noun;
    }
    case 'string':
      return s.minLength ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
      return s.properties ? `a mapping with the keys ${Object.keys(s.properties).join(', ')}` : 'a mapping';
    case 'array':
      return s.items ? `a list, each item ${describeSchema(s.items)}` : 'a list';
    default:
      return type;
  }
}

/** A value as the message shows it. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v);
}

/** A JSON pointer (Ajv's instancePath) as a key path. */
function pointerPath(pointer: string): KeyPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}
