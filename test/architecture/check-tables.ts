// `npm run lint:tables`: the table-ownership scan of test/unit/architecture.test.ts without vitest's
// database setup, so `npm run lint` covers every rule of invariant 8 in a few seconds.
import { readdirSync, readFileSync } from 'node:fs';
import { checkTables, checkUnknownModules, formatViolation } from './checker.js';
import { MODULES, tableOwners } from './ownership.js';

const files = (readdirSync('src', { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `src/${f.split('\\').join('/')}`)
  .sort();
const owners = tableOwners();
const violations = [
  ...checkUnknownModules(files, MODULES),
  ...files.flatMap((f) => checkTables(f, readFileSync(f, 'utf8'), MODULES, owners)),
];
for (const v of violations) console.error(formatViolation(v));
if (violations.length > 0) {
  console.error(`\n${violations.length} table-ownership violation(s); the map is test/architecture/ownership.ts`);
  process.exitCode = 1;
} else {
  console.log(`table ownership: ${files.length} src files clean`);
}
