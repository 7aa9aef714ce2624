/**
 * Which tags of a scenario name the clauses it checks. Built-in clauses are `@E37-<section>` and
 * `@E37.1-<name>` (CONTRACTS.md section 4); a user's own requirements file declares more ids
 * (user-requirements.ts), which count as clauses in the same way.
 */

const BUILT_IN_CLAUSE_TAG = /^@(E37(?:\.1)?-.+)$/;

/** The clause id a tag names (`@E37-7.6.2` -> `E37-7.6.2`), or undefined for any other tag. */
export function clauseOfTag(tag: string, userClauses: ReadonlySet<string> = EMPTY): string | undefined {
  const builtIn = BUILT_IN_CLAUSE_TAG.exec(tag)?.[1];
  if (builtIn !== undefined) return builtIn;
  const id = tag.startsWith('@') ? tag.slice(1) : undefined;
  return id !== undefined && userClauses.has(id) ? id : undefined;
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * The clauses a scenario checks. A feature's clause tag names its section and every scenario
 * inherits it; a scenario's own clause tags say what it checks, so they win when present.
 */
export function scenarioClauses(tags: readonly string[], featureTags: readonly string[], userClauses: ReadonlySet<string> = EMPTY): string[] {
  const clausesOf = (list: readonly string[]): string[] => list.map((t) => clauseOfTag(t, userClauses)).filter((c): c is string => c !== undefined);
  const inherited = new Set(featureTags);
  const own = clausesOf(tags.filter((t) => !inherited.has(t)));
  return [...new Set(own.length > 0 ? own : clausesOf(tags))];
}

/** The strength tag of a scenario (`@MUST`, `@SHOULD`, `@MAY`), if it has one. */
export function strengthOfTags(tags: readonly string[]): 'MUST' | 'SHOULD' | 'MAY' | null {
  const t = tags.find((x) => x === '@MUST' || x === '@SHOULD' || x === '@MAY');
  return t ? (t.slice(1) as 'MUST' | 'SHOULD' | 'MAY') : null;
}
