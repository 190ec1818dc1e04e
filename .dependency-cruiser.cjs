// Module boundaries for `npm run lint` (depcruise src --config .dependency-cruiser.cjs). The rules
// are generated from test/architecture/ownership.ts (loaded through Node's type stripping), the
// same map test/unit/architecture.test.ts checks against; that test also checks that these rules
// and its own checker report the same imports. Table names in SQL are not imports: the test (and
// `npm run lint:tables`) scans for those.
const { MODULES } = require('./test/architecture/ownership.ts');
const { rulesFor } = require('./test/architecture/depcruise.rules.cjs');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: rulesFor(MODULES),
  options: {
    includeOnly: '^(src|scripts|test|migrations)/',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
