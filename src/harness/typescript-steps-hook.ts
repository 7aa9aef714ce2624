import { registerTypeScript, TYPESCRIPT_STEPS_ENV } from './step-files';

/**
 * Loaded by cucumber (`requireModule`) before the user's TypeScript step files, in this process
 * and in every worker of a parallel run: registers TypeScript for the files the run names in
 * TYPESCRIPT_STEPS_ENV (step-files.ts). This process registered it already; a worker has not.
 */
const files = JSON.parse(process.env[TYPESCRIPT_STEPS_ENV] ?? '[]') as string[];
if (files.length > 0) registerTypeScript(files);
