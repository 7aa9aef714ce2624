import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Which step definition files a run loads, and how. The built-in steps ship compiled (dist/steps,
 * CommonJS) and load with `require`: no TypeScript compiler runs for them, so nothing of the
 * caller's project (tsconfig.json, `"type": "module"`, the working directory) can change how
 * they load. A user's own step files load beside them:
 *
 * - `.js`, `.cjs`, `.mjs`: by `import()`, so Node decides CommonJS or ESM as it always does
 *   (the extension, else the nearest package.json's `type`);
 * - `.ts`, `.cts`: by `require` through ts-node, registered here with every option given
 *   explicitly: no tsconfig.json is read, `TS_NODE_*` variables are overridden, the TypeScript of
 *   this package compiles, and the output is CommonJS even in a `"type": "module"` project
 *   (ts-node's module-type override; without it Node would take those files for ESM).
 */

/** The user's step files, sorted by how they load. */
export interface UserSupport {
  readonly requirePaths: readonly string[];
  readonly importPaths: readonly string[];
}

const IMPORTED = new Set(['.js', '.cjs', '.mjs']);
const TYPESCRIPT = new Set(['.ts', '.cts']);

/** A step file that does not exist or cannot be loaded; the message names it and says what would do. */
export class StepFileError extends Error {
  override readonly name = 'StepFileError';
}

/** The folder of the built-in step definitions, next to the compiled (or, unbuilt, the source) harness. */
export function builtInStepsDir(): string {
  return path.resolve(__dirname, '..', '..', 'steps');
}

/** The built-in support files: the world and hooks first, then every `*.steps` module. */
export function builtInSupportFiles(): string[] {
  const dir = builtInStepsDir();
  // Compiled: .js next to dist/src; run from source through ts-node: .ts.
  const ext = path.extname(__filename);
  const steps = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(`.steps${ext}`))
    .sort();
  return [path.join(dir, `world${ext}`), ...steps.map((f) => path.join(dir, f))];
}

/** Sorts the user's files by loader; throws a StepFileError for a file that does not exist or cannot load. */
export function userSupport(files: readonly string[]): UserSupport {
  const requirePaths: string[] = [];
  const importPaths: string[] = [];
  for (const file of files) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new StepFileError(`--require ${file}: no such file`);
    const ext = path.extname(file);
    if (IMPORTED.has(ext)) importPaths.push(file);
    else if (TYPESCRIPT.has(ext)) requirePaths.push(file);
    else if (ext === '.mts') throw new StepFileError(`--require ${file}: .mts files are not supported; name it .ts (compiled to CommonJS) or write it as .mjs`);
    else throw new StepFileError(`--require ${file}: step definitions are .ts, .cts, .js, .cjs or .mjs files`);
  }
  if (requirePaths.length > 0) registerTypeScript(requirePaths);
  return { requirePaths, importPaths };
}

/**
 * A parallel run's worker process loads the step files itself (cucumber's parallel mode): this
 * variable names the user's TypeScript files for typescript-steps-hook.ts, which cucumber loads
 * there first (its `requireModule`) to register TypeScript exactly as this process did.
 */
export const TYPESCRIPT_STEPS_ENV = 'HSMS_CONFORMANCE_TYPESCRIPT_STEPS';

/** The module a worker loads before the user's TypeScript step files. */
export function typeScriptStepsHook(): string {
  return path.join(__dirname, `typescript-steps-hook${path.extname(__filename)}`);
}

let registered = false;

/** Registers ts-node for the user's TypeScript step files, independent of the caller (see above). */
export function registerTypeScript(files: readonly string[]): void {
  if (registered) return;
  registered = true;
  const key = Symbol.for('ts-node.register.instance');
  // Run from source, the harness registered ts-node with its own tsconfig already; it compiles these too.
  if ((process as unknown as Record<symbol, unknown>)[key]) return;
  // Loaded only here: `import` of the package and runs without TypeScript steps never load ts-node.
  const tsNode = require('ts-node') as typeof import('ts-node');
  // Every option ts-node would otherwise take from a TS_NODE_* variable is given here.
  tsNode.register({
    cwd: path.dirname(files[0]!),
    skipProject: true,
    compiler: require.resolve('typescript'),
    transpileOnly: true,
    typeCheck: false,
    compilerHost: false,
    files: false,
    emit: false,
    swc: false,
    esm: false,
    scope: false,
    preferTsExts: false,
    experimentalResolver: false,
    ignore: ['(?:^|/)node_modules/'],
    skipIgnore: false,
    ignoreDiagnostics: [],
    logError: false,
    pretty: false,
    require: [],
    compilerOptions: {
      module: 'commonjs',
      moduleResolution: 'node10',
      target: 'es2022',
      esModuleInterop: true,
      sourceMap: true,
      inlineSources: true,
    },
    // Without a tsconfig.json a relative pattern would be relative to the working directory, so
    // the patterns start at the file system root: every .ts file, wherever the user keeps it.
    moduleTypes: Object.fromEntries([...new Set(files.map((f) => path.parse(f).root))].map((root) => [`${root.replace(/\\/g, '/')}**/*.ts`, 'cjs' as const])),
  });
}
