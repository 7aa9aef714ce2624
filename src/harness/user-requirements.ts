import { readFileSync } from 'node:fs';
import { CONDITION_TAGS } from './applicability';
import { clauseOfTag } from './clause-tags';
import { requirementById, type Strength } from './requirements';

/**
 * A user's own requirements (`run --requirements FILE`): the clauses their own Gherkin
 * scenarios are grouped under in every report, next to the E37 catalogue. A small JSON file:
 *
 *     {
 *       "source": "SEMI E30 (GEM), as our host team reads it",
 *       "requirements": [
 *         { "id": "E30-establish-communications", "title": "Establish Communications",
 *           "strength": "MUST", "statement": "The equipment answers S1F13 with S1F14 and COMMACK 0." }
 *       ],
 *       "tags": ["@slow"]
 *     }
 *
 * Scenarios tag a requirement with `@<id>`. `tags` declares further plain tags the features
 * use for selection (`--tags "not @slow"`) that name no requirement; any other tag is an error,
 * so a mistyped clause tag can never leave a scenario out of its row.
 */

export interface UserRequirement {
  /** The clause id scenarios tag as `@<id>`, e.g. `E30-establish-communications`. */
  readonly id: string;
  readonly title: string;
  readonly strength: Strength;
  /** What the requirement says, in the user's words; shown in every report row. */
  readonly statement: string;
  /** Where the requirement comes from: the file's `source`, shown as the clause's source. */
  readonly source: string;
}

/** The requirements and plain tags of one run's requirements files, merged. */
export interface UserCatalogue {
  readonly requirements: readonly UserRequirement[];
  /** Declared plain tags, `@` included. */
  readonly tags: readonly string[];
}

export const EMPTY_CATALOGUE: UserCatalogue = { requirements: [], tags: [] };

/** Every problem of a requirements file, one per line, each naming the file and the key. */
export class RequirementsFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'RequirementsFileError';
  }
}

const TOP_KEYS = ['source', 'requirements', 'tags'];
const REQUIREMENT_KEYS = ['id', 'title', 'strength', 'statement'];
const STRENGTHS: readonly Strength[] = ['MUST', 'SHOULD', 'MAY'];
/** A Gherkin tag cannot hold white space; ids stay plain so they read well in every report. */
const ID = /^[A-Za-z][A-Za-z0-9._:-]*$/;
const TAG = /^@[^\s@]+$/;

/** Harness tags every feature may carry: strengths, applicability conditions, and `@fuzz`. */
export const HARNESS_TAGS: ReadonlySet<string> = new Set(['@MUST', '@SHOULD', '@MAY', '@fuzz', ...CONDITION_TAGS]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one requirements file; throws a RequirementsFileError listing every problem. */
export function parseRequirements(text: string, file: string): UserCatalogue {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RequirementsFileError([`${file}: not valid JSON: ${(err as Error).message}`]);
  }
  const problems: string[] = [];
  const problem = (key: string, message: string): void => {
    problems.push(`${file}: ${key}: ${message}`);
  };
  if (!isObject(raw)) throw new RequirementsFileError([`${file}: must hold a JSON object with "source" and "requirements"`]);
  for (const key of Object.keys(raw)) if (!TOP_KEYS.includes(key)) problem(key, `unknown key (known: ${TOP_KEYS.join(', ')})`);
  const source = typeof raw.source === 'string' && raw.source.trim() !== '' ? raw.source.trim() : '';
  if (!source) problem('source', 'must name where the requirements come from, e.g. "SEMI E30 (GEM), as our host team reads it"');
  const requirements: UserRequirement[] = [];
  const seen = new Map<string, string>();
  if (!Array.isArray(raw.requirements) || raw.requirements.length === 0) {
    problem('requirements', 'must be a non-empty list of { id, title, strength, statement }');
  } else {
    raw.requirements.forEach((entry: unknown, i: number) => {
      const at = `requirements[${i}]`;
      if (!isObject(entry)) {
        problem(at, 'must be an object { id, title, strength, statement }');
        return;
      }
      const where = typeof entry.id === 'string' ? `${at} (${entry.id})` : at;
      for (const key of Object.keys(entry)) if (!REQUIREMENT_KEYS.includes(key)) problem(`${where}.${key}`, `unknown key (known: ${REQUIREMENT_KEYS.join(', ')})`);
      const id = typeof entry.id === 'string' ? entry.id : '';
      if (!ID.test(id)) problem(`${at}.id`, `must be a tag-safe id (a letter, then letters, digits, '.', '_', ':' or '-'), got ${JSON.stringify(entry.id)}`);
      else if (clauseOfTag(`@${id}`) !== undefined) problem(`${at}.id`, `${id} has the form of a built-in E37 clause id; choose an id of your own (e.g. with your standard's name)`);
      else if (seen.has(id)) problem(`${at}.id`, `duplicate id ${id} (first at ${seen.get(id)})`);
      else seen.set(id, at);
      const text = (key: 'title' | 'statement'): string => {
        const v = entry[key];
        if (typeof v !== 'string' || v.trim() === '') {
          problem(`${where}.${key}`, 'must be a non-empty string');
          return '';
        }
        return v.trim();
      };
      const title = text('title');
      const statement = text('statement');
      const strength = entry.strength;
      if (typeof strength !== 'string' || !(STRENGTHS as readonly string[]).includes(strength)) problem(`${where}.strength`, `must be MUST, SHOULD or MAY, got ${JSON.stringify(strength)}`);
      requirements.push({ id, title, strength: strength as Strength, statement, source });
    });
  }
  const tags: string[] = [];
  if (raw.tags !== undefined) {
    if (!Array.isArray(raw.tags)) problem('tags', 'must be a list of tags such as "@slow"');
    else
      raw.tags.forEach((t: unknown, i: number) => {
        if (typeof t !== 'string' || !TAG.test(t)) problem(`tags[${i}]`, `must be a tag starting with @ and without spaces, got ${JSON.stringify(t)}`);
        else if (seen.has(t.slice(1))) problem(`tags[${i}]`, `${t} is a requirement id already; list it only under requirements`);
        else tags.push(t);
      });
  }
  if (problems.length > 0) throw new RequirementsFileError(problems);
  return { requirements, tags };
}

/** Reads and merges the requirements files of a run; an id declared twice is an error naming both files. */
export function loadRequirements(files: readonly string[]): UserCatalogue {
  const problems: string[] = [];
  const requirements: UserRequirement[] = [];
  const tags = new Set<string>();
  const origin = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${file}: cannot read: ${(err as Error).message}`);
      continue;
    }
    try {
      const one = parseRequirements(text, file);
      for (const r of one.requirements) {
        const first = origin.get(r.id);
        if (first !== undefined) problems.push(`${file}: requirement ${r.id} is declared in ${first} already`);
        origin.set(r.id, file);
        requirements.push(r);
      }
      for (const t of one.tags) tags.add(t);
    } catch (err) {
      if (!(err instanceof RequirementsFileError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new RequirementsFileError(problems);
  return { requirements, tags: [...tags] };
}

/** A user scenario as the preflight sees it: where it is and what it is tagged with. */
export interface TaggedScenario {
  readonly name: string;
  /** `file:line` of the scenario. */
  readonly location: string;
  /** All its tags, the feature's included. */
  readonly tags: readonly string[];
}

/**
 * Problems with the tags of the user's scenarios: a tag that neither the E37 catalogue, the
 * harness, nor a requirements file declares (named with the scenario), and a scenario that names
 * no clause at all, which no report row could show.
 */
export function checkScenarioTags(scenarios: readonly TaggedScenario[], catalogue: UserCatalogue): string[] {
  const ids = new Set(catalogue.requirements.map((r) => r.id));
  const plain = new Set(catalogue.tags);
  const problems: string[] = [];
  for (const s of scenarios) {
    let clauses = 0;
    for (const tag of s.tags) {
      const clause = clauseOfTag(tag, ids);
      if (clause !== undefined && (ids.has(clause) || requirementById(clause))) {
        clauses++;
        continue;
      }
      if (HARNESS_TAGS.has(tag) || plain.has(tag)) continue;
      problems.push(
        clause !== undefined
          ? `${s.location}: scenario '${s.name}' carries ${tag}, which the E37 catalogue does not define`
          : `${s.location}: scenario '${s.name}' carries ${tag}, which no requirements file declares (declare it with --requirements FILE, as a requirement id or under "tags")`,
      );
    }
    if (clauses === 0) problems.push(`${s.location}: scenario '${s.name}' names no clause: tag it with the id of a requirement it checks (e.g. @${catalogue.requirements[0]?.id ?? 'MY-1'})`);
  }
  return problems;
}
