import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UserSuite } from '../harness/suite-runner';
import { EMPTY_CATALOGUE, loadRequirements, RequirementsFileError } from '../harness/user-requirements';
import { UsageError, type ParsedArgs } from './args';

/**
 * `run --features DIR|FILE ... --require FILE ... --requirements FILE ... [--only-user-features]`:
 * a user's own scenarios, step definitions and requirements, beside the built-in suite. Paths
 * resolve against the working directory the command was started in.
 */

/** The options, for the subcommands that take them. */
export const USER_SUITE_SPEC = {
  features: 'string',
  require: 'string',
  requirements: 'string',
  'only-user-features': 'boolean',
} as const;

export const USER_SUITE_USAGE = `  --features DIR|FILE, --require FILE and --requirements FILE (each may repeat) run your own
  Gherkin scenarios with the built-in steps and your step definitions (.ts, .js, .cjs, .mjs),
  grouped under the requirement ids your requirements file declares; --only-user-features
  leaves the E37 features out.`;

/** The user's suite the options describe, or undefined when there is none. Throws a UsageError naming the option at fault. */
export function userSuiteFrom(args: ParsedArgs, cwd: string = process.cwd()): UserSuite | undefined {
  const features = args.lists.get('features') ?? [];
  const support = args.lists.get('require') ?? [];
  const requirements = args.lists.get('requirements') ?? [];
  const only = args.flags.has('only-user-features');
  if (features.length === 0) {
    if (only) throw new UsageError('--only-user-features needs --features DIR|FILE');
    if (support.length > 0 || requirements.length > 0) throw new UsageError(`--${support.length > 0 ? 'require' : 'requirements'} belongs to --features: name the features your steps and requirements are for`);
    return undefined;
  }
  const existing = (option: string, p: string, kind: 'file' | 'file or folder'): string => {
    const abs = path.resolve(cwd, p);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat || (kind === 'file' && !stat.isFile())) throw new UsageError(`--${option} ${p}: no such ${kind} (${abs})`);
    return abs;
  };
  let catalogue = EMPTY_CATALOGUE;
  const requirementFiles = requirements.map((p) => existing('requirements', p, 'file'));
  try {
    catalogue = loadRequirements(requirementFiles);
  } catch (err) {
    if (err instanceof RequirementsFileError) throw new UsageError(`--requirements:\n  ${err.problems.join('\n  ')}`);
    throw err;
  }
  return {
    features: features.map((p) => existing('features', p, 'file or folder')),
    support: support.map((p) => existing('require', p, 'file')),
    only,
    catalogue,
  };
}
