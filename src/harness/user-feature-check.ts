import * as path from 'node:path';
import { runCucumber } from '@cucumber/cucumber/api';
import type { Envelope, GherkinDocument, Pickle } from '@cucumber/messages';
import { cachedSupport, cucumberEnvironment, projectRoot, suiteConfiguration, type UserSuite } from './suite-runner';
import { checkScenarioTags, type TaggedScenario } from './user-requirements';

/**
 * Checks a user's features before anything connects to the IUT, by a cucumber dry run over
 * them alone: Gherkin that does not parse, tags that no requirements file declares, scenarios
 * that name no clause, and steps that no definition (built-in or theirs) matches, or several do.
 * Each problem names the file and line; any of them is a usage error, not a verdict on the IUT.
 */
export async function checkUserFeatures(user: UserSuite, cwd: string = process.cwd()): Promise<string[]> {
  const configuration = await suiteConfiguration({ user: { ...user, only: true } });
  const dryRun = { ...configuration, runtime: { ...configuration.runtime, dryRun: true } };
  const support = await cachedSupport(dryRun);
  const envelopes: Envelope[] = [];
  await runCucumber({ ...dryRun, support }, cucumberEnvironment(), (e) => envelopes.push(e));
  // Cucumber's uris are relative to the package root; the user reads paths from where they are.
  const where = (uri: string, line: number | undefined): string => `${path.relative(cwd, path.resolve(projectRoot(), uri))}${line ? `:${line}` : ''}`;
  const problems: string[] = [];
  const lines = new Map<string, number>();
  const pickles = new Map<string, Pickle>();
  const pickleOfCase = new Map<string, Pickle>();
  const pickleStepOfStep = new Map<string, string>();
  for (const e of envelopes) {
    if (e.parseError) problems.push(`${where(e.parseError.source.uri ?? '?', e.parseError.source.location?.line)}: ${e.parseError.message}`);
    if (e.gherkinDocument) for (const [id, line] of scenarioLines(e.gherkinDocument)) lines.set(id, line);
    if (e.pickle) pickles.set(e.pickle.id, e.pickle);
    if (e.testCase) {
      const pickle = pickles.get(e.testCase.pickleId);
      if (pickle) pickleOfCase.set(e.testCase.id, pickle);
      for (const s of e.testCase.testSteps) if (s.pickleStepId) pickleStepOfStep.set(s.id, s.pickleStepId);
    }
  }
  const location = (p: Pickle): string => where(p.uri, lines.get(p.astNodeIds[0] ?? ''));
  const scenarios: TaggedScenario[] = [...pickles.values()].map((p) => ({ name: p.name, location: location(p), tags: p.tags.map((t) => t.name) }));
  problems.push(...new Set(checkScenarioTags(scenarios, user.catalogue)));
  const started = new Map<string, string>();
  for (const e of envelopes) {
    if (e.testCaseStarted) started.set(e.testCaseStarted.id, e.testCaseStarted.testCaseId);
    const finished = e.testStepFinished;
    if (!finished) continue;
    const status = finished.testStepResult.status;
    if (status !== 'UNDEFINED' && status !== 'AMBIGUOUS') continue;
    const pickle = pickleOfCase.get(started.get(finished.testCaseStartedId) ?? '');
    const pickleStepId = pickleStepOfStep.get(finished.testStepId);
    const text = pickle?.steps.find((s) => s.id === pickleStepId)?.text ?? '?';
    const at = pickle ? location(pickle) : '?';
    problems.push(
      status === 'UNDEFINED'
        ? `${at}: no step definition matches "${text}" (the built-in steps: hsms-conformance steps; your own: --require FILE)`
        : `${at}: several step definitions match "${text}": ${finished.testStepResult.message?.split('\n')[0] ?? ''}`,
    );
  }
  return [...new Set(problems)];
}

/** The line of each scenario of a Gherkin document, by its id (a pickle's first AST node id). */
function scenarioLines(doc: GherkinDocument): Map<string, number> {
  const out = new Map<string, number>();
  const children = [...(doc.feature?.children ?? []), ...(doc.feature?.children ?? []).flatMap((c) => c.rule?.children ?? [])];
  for (const c of children) {
    if (!c.scenario) continue;
    out.set(c.scenario.id, c.scenario.location.line);
  }
  return out;
}
