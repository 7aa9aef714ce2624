import * as path from 'node:path';
import { builtInStepsDir, StepFileError } from '../harness/step-files';
import { cachedSupport, projectRoot, suiteConfiguration } from '../harness/suite-runner';
import { EMPTY_CATALOGUE } from '../harness/user-requirements';
import { stepDocOf } from '../harness/step-doc';
import { parseArgs, UsageError } from './args';

/**
 * `hsms-conformance steps [--require FILE ...] [--json]`: the step catalogue, read from the
 * step definitions as cucumber loads them, with the StepDoc each definition carries (steps/step.ts).
 */

const USAGE = `usage: hsms-conformance steps [--require FILE ...] [--json]
  Prints every step a feature can use: its pattern, what it does and what it checks. With
  --require, your own step definitions are listed after the built-in ones.`;

const SPEC = { require: 'string', json: 'boolean', help: 'boolean' } as const;

/** One entry of the catalogue. */
export interface CatalogueEntry {
  readonly keyword: string;
  readonly pattern: string;
  readonly does: string;
  readonly checks: string;
  /** 'built-in', or the file of a user's step definition. */
  readonly source: string;
}

/** The part of a step definition the catalogue reads; cucumber's public type of the support library hides them. */
interface StepDefinitionView {
  readonly keyword: string;
  readonly pattern: string | RegExp;
  readonly unwrappedCode: unknown;
  readonly uri: string;
}

/** The catalogue of the built-in steps and of the given step files, in definition order. */
export async function stepCatalogue(support: readonly string[] = []): Promise<CatalogueEntry[]> {
  const configuration = await suiteConfiguration({ user: { features: [], support, only: false, catalogue: EMPTY_CATALOGUE } });
  const library = await cachedSupport(configuration);
  // Compiled steps, or their sources where a source map points a definition back to them.
  const builtIn = [builtInStepsDir(), path.join(projectRoot(), 'steps')].map((d) => d + path.sep);
  const definitions = (library as unknown as { readonly stepDefinitions: readonly StepDefinitionView[] }).stepDefinitions;
  return definitions.map((d) => {
    const doc = stepDocOf(d.unwrappedCode);
    const file = path.resolve(projectRoot(), d.uri);
    return {
      keyword: d.keyword === 'Unknown' ? 'Step' : d.keyword,
      pattern: typeof d.pattern === 'string' ? d.pattern : `/${d.pattern.source}/`,
      does: doc?.does ?? '',
      checks: doc?.checks ?? '',
      source: builtIn.some((d) => file.startsWith(d)) ? 'built-in' : path.relative(process.cwd(), file),
    };
  });
}

/** Text for people: grouped by source, each step with what it does and checks. */
export function formatCatalogue(entries: readonly CatalogueEntry[]): string {
  const out: string[] = [];
  let source = '';
  for (const e of entries) {
    if (e.source !== source) {
      source = e.source;
      out.push('', source === 'built-in' ? '# Built-in steps' : `# Steps from ${source}`, '');
    }
    out.push(`${e.keyword} ${e.pattern}`);
    if (e.does) out.push(`    does:   ${e.does}`);
    if (e.checks) out.push(`    checks: ${e.checks}`);
  }
  return out.join('\n').trimStart() + '\n';
}

export async function runStepsCommand(argv: readonly string[]): Promise<number> {
  try {
    const args = parseArgs(argv, SPEC);
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    if (args.flags.has('help')) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    const support = (args.lists.get('require') ?? []).map((p) => path.resolve(p));
    const entries = await stepCatalogue(support);
    process.stdout.write(args.flags.has('json') ? JSON.stringify(entries, null, 2) + '\n' : formatCatalogue(entries));
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof StepFileError) {
      process.stderr.write(`hsms-conformance steps: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}
