'use strict';
// Runs the compiled program from dist/ when the checkout has been built, else the TypeScript
// source through ts-node, so the commands work before and after `npm run build`.
const fs = require('node:fs');
const path = require('node:path');

module.exports = function launch(name) {
  const root = path.join(__dirname, '..');
  const compiled = path.join(root, 'dist', 'src', `${name}.js`);
  if (fs.existsSync(compiled)) {
    require(compiled);
    return;
  }
  require('ts-node').register({ project: path.join(root, 'tsconfig.json'), transpileOnly: true });
  require(path.join(root, 'src', `${name}.ts`));
};
