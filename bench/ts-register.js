'use strict';
// `node bench/ts-register.js bench/<script>.ts [args]`: runs a TypeScript bench script with the
// same swc transform as jest (decorators, metadata), so it can use the service's own modules.
const path = require('node:path');
const swc = require('@swc/core');

const options = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};
require.extensions['.ts'] = (module, file) => module._compile(swc.transformFileSync(file, options).code, file);
const script = path.resolve(process.argv[2]);
process.argv.splice(1, 1); // the script sees itself as argv[1], its flags from argv[2] on
require(script);
