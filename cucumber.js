// Cucumber configuration: step definitions are TypeScript, loaded through ts-node.
// Type checking is `npm run typecheck`'s job; here the sources are only transpiled, for speed.
process.env.TS_NODE_TRANSPILE_ONLY = 'true';

module.exports = {
  default: {
    paths: ['features/**/*.feature'],
    requireModule: ['ts-node/register'],
    require: ['steps/**/*.ts'],
  },
};
