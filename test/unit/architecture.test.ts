// Invariant 8: one owner per table, modules talk through their public surface, and production code
// never depends on scripts/ or test/. The map is test/architecture/ownership.ts; `npm run lint`
// runs the import rules through dependency-cruiser (.dependency-cruiser.cjs, generated from the
// same map) and the table scan through `npm run lint:tables`.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IForbiddenRuleType, type IModule } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkImport,
  checkTables,
  checkUnknownModules,
  formatViolation,
  type ImportEdge,
  type Modules,
  type Violation,
} from '../architecture/checker.js';
import { ENTITY_REGISTRY, MODULES, tableOwners } from '../architecture/ownership.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const depcruiseConfig = require('../../.dependency-cruiser.cjs') as {
  options: Record<string, unknown> & { tsConfig: { fileName: string } };
};
const { rulesFor } = require('../architecture/depcruise.rules.cjs') as {
  rulesFor: (modules: Modules) => IForbiddenRuleType[];
};

const tsFiles = (dir: string): string[] =>
  (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f.split('\\').join('/')}`)
    .sort();

/** Fails with one line per violation, so the report reads as a to-do list. */
function expectNone(violations: readonly Violation[], what: string): void {
  const lines = violations.map(formatViolation);
  if (lines.length > 0) console.log(`${what}: ${lines.length} violation(s)\n  ${lines.join('\n  ')}`);
  expect(lines, what).toEqual([]);
}

interface Cruised {
  edges: ImportEdge[];
  /** from → to pairs dependency-cruiser's own rules flagged. */
  flagged: string[];
}

/** The src import graph from dependency-cruiser, with the violations of rules generated from `modules`. */
async function cruiseSrc(modules: Modules): Promise<Cruised> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const result = await cruise(
      ['src'],
      { ...depcruiseConfig.options, validate: true, ruleSet: { forbidden: rulesFor(modules) } },
      undefined,
      { tsConfig: extractTSConfig(depcruiseConfig.options.tsConfig.fileName) },
    );
    if (typeof result.output === 'string') throw new Error('cruise() returned a formatted report');
    const modulesOut: IModule[] = result.output.modules;
    const edges = modulesOut.flatMap((m) =>
      m.dependencies
        .filter((d) => !d.coreModule && !d.couldNotResolve && !d.resolved.includes('node_modules'))
        .map((d) => ({ from: m.source, to: d.resolved })),
    );
    const flagged = [...new Set(result.output.summary.violations.map((v) => `${v.from} -> ${v.to}`))].sort();
    return { edges, flagged };
  } finally {
    process.chdir(cwd);
  }
}

const importViolations = (edges: readonly ImportEdge[], modules: Modules): Violation[] =>
  edges.flatMap((e) => checkImport(e, modules));
/** The from → to pairs of the edges the checker flags, comparable with dependency-cruiser's. */
const flaggedPairs = (edges: readonly ImportEdge[], modules: Modules): string[] =>
  [...new Set(edges.filter((e) => checkImport(e, modules).length > 0).map((e) => `${e.from} -> ${e.to}`))].sort();

describe('architecture (invariant 8)', () => {
  const srcFiles = tsFiles('src');
  let cruised: Cruised;
  beforeAll(async () => {
    cruised = await cruiseSrc(MODULES);
  });

  it('the ownership map is whole: one owner per table, every migrated table owned, surfaces exist', () => {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const [folder, spec] of Object.entries(MODULES)) {
      for (const t of spec.tables) {
        if (seen.has(t)) problems.push(`table ${t} is owned by both ${seen.get(t)} and ${folder}`);
        seen.set(t, folder);
      }
      for (const f of spec.publicSurface) {
        if (f.endsWith('.entity.ts')) problems.push(`${folder}/${f}: an entity is never public`);
        const moduleExists = srcFiles.some((s) => s.startsWith(`${folder}/`));
        if (moduleExists && !srcFiles.includes(`${folder}/${f}`))
          problems.push(`${folder}/${f}: listed as public but missing`);
      }
    }
    for (const file of tsFiles('migrations')) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?/gi)) {
        if (!seen.has(m[1])) problems.push(`${file} creates table ${m[1]}, which no module owns`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every folder under src/ is a module of the map', () => {
    expectNone(checkUnknownModules(srcFiles, MODULES), 'unmapped modules');
  });

  it("src code names only its own module's tables (SQL, kysely, tableName, entities)", () => {
    const owners = tableOwners();
    const violations = srcFiles.flatMap((f) => checkTables(f, readFileSync(join(ROOT, f), 'utf8'), MODULES, owners));
    const entityImports = importViolations(cruised.edges, MODULES).filter((v) => v.rule === 'foreign-entity');
    expectNone([...violations, ...entityImports], 'table ownership');
  });

  it("src imports neither scripts/ nor test/, and modules import only each other's public surface", () => {
    const violations = importViolations(cruised.edges, MODULES).filter((v) => v.rule !== 'foreign-entity');
    expectNone(violations, 'module boundaries');
  });

  it('dependency-cruiser (npm run lint) flags exactly the imports this test flags', async () => {
    expect(cruised.edges.length).toBeGreaterThan(100);
    expect(cruised.flagged).toEqual(flaggedPairs(cruised.edges, MODULES));
    // The real tree may be clean; a map in which nothing is public makes both sides flag plenty.
    const closed: Modules = Object.fromEntries(
      Object.entries(MODULES).map(([k, v]) => [k, { ...v, publicSurface: [] }]),
    );
    const strict = await cruiseSrc(closed);
    const expected = flaggedPairs(strict.edges, closed);
    expect(expected.length).toBeGreaterThan(20);
    expect(strict.flagged).toEqual(expected);
  });

  describe('the checkers catch what they are for', () => {
    const owners = tableOwners();
    const check = (file: string, text: string) => checkTables(file, text, MODULES, owners).map(formatViolation);

    it('a module naming another module’s table in SQL', () => {
      const fake = [
        "import { Injectable } from '@nestjs/common';",
        '// a comment that says FROM sync_runs is not SQL',
        'export class Fake {',
        '  q1 = `SELECT count(*) FROM sync_runs r WHERE r.status = ${1}`;',
        "  q2 = 'DELETE FROM ingest_outbox WHERE id = $1';",
        '  q3 = `SELECT 1 WHERE EXISTS (SELECT 1 FROM payment_orphans o)`;',
        "  q4 = 'UPDATE sync_cursors SET cursor = $1';",
        "  q5 = 'INSERT INTO payments (id) VALUES ($1)';",
        '  q6 = `SELECT * FROM events e\n    JOIN contacts c ON c.id = e.id`;',
        "  q7 = db.selectFrom('api_idempotency as k');",
        "  e = defineEntity({ tableName: 'gcal_channels' });",
        "  q8 = 'SELECT * FROM ingest_outbox';",
        '}',
      ].join('\n');
      expect(check('src/health/health.fake.ts', fake)).toEqual([
        '[foreign-table] src/health/health.fake.ts:4 names table sync_runs (FROM) (owner: src/runs)',
        '[foreign-table] src/health/health.fake.ts:5 names table ingest_outbox (FROM) (owner: src/outbox)',
        '[foreign-table] src/health/health.fake.ts:6 names table payment_orphans (FROM) (owner: src/reconciler)',
        '[foreign-table] src/health/health.fake.ts:7 names table sync_cursors (UPDATE) (owner: src/runs)',
        '[foreign-table] src/health/health.fake.ts:8 names table payments (INTO) (owner: src/records)',
        '[foreign-table] src/health/health.fake.ts:9 names table events (FROM) (owner: src/records)',
        '[foreign-table] src/health/health.fake.ts:10 names table contacts (JOIN) (owner: src/records)',
        '[foreign-table] src/health/health.fake.ts:11 names table api_idempotency (selectFrom()) (owner: src/idempotency)',
        '[foreign-table] src/health/health.fake.ts:12 names table gcal_channels (tableName) (owner: src/connectors/gcal)',
        '[foreign-table] src/health/health.fake.ts:13 names table ingest_outbox (FROM) (owner: src/outbox)',
      ]);
      // The owner itself may, and so may code outside src/ (tests, scripts).
      expect(check('src/outbox/outbox.fake.ts', "q = 'DELETE FROM ingest_outbox';")).toEqual([]);
      expect(check('test/support/fake.ts', "q = 'DELETE FROM ingest_outbox';")).toEqual([]);
    });

    it('imports of another module’s internals or entities, of dev code, of the app root, of an unmapped module', () => {
      const edges: ImportEdge[] = [
        { from: 'src/connectors/gcal/gcal.fake.ts', to: 'src/runs/runs.repository.ts' },
        { from: 'src/health/health.fake.ts', to: 'src/outbox/outbox-event.entity.ts' },
        { from: 'src/outbox/outbox.fake.ts', to: 'scripts/sandbox/prng.ts' },
        { from: 'src/outbox/outbox.fake.ts', to: 'test/support/db.ts' },
        { from: 'src/outbox/outbox.fake.ts', to: 'src/app.module.ts' },
        { from: 'src/outbox/outbox.fake.ts', to: 'src/nowhere/nowhere.service.ts' },
        // Allowed: public surface, own module, the app root importing a module, the entity registry.
        { from: 'src/connectors/gcal/gcal.fake.ts', to: 'src/runs/runs.service.ts' },
        { from: 'src/outbox/outbox.fake.ts', to: 'src/outbox/outbox.repository.ts' },
        { from: 'src/app.module.ts', to: 'src/outbox/outbox.module.ts' },
        { from: ENTITY_REGISTRY, to: 'src/outbox/outbox-event.entity.ts' },
      ];
      expect(importViolations(edges, MODULES).map(formatViolation)).toEqual([
        '[module-internals] src/connectors/gcal/gcal.fake.ts names import src/runs/runs.repository.ts (owner: src/runs)',
        '[foreign-entity] src/health/health.fake.ts names entity src/outbox/outbox-event.entity.ts (owner: src/outbox)',
        '[src-imports-dev-code] src/outbox/outbox.fake.ts names import scripts/sandbox/prng.ts (owner: scripts)',
        '[src-imports-dev-code] src/outbox/outbox.fake.ts names import test/support/db.ts (owner: test)',
        '[module-internals] src/outbox/outbox.fake.ts names import src/app.module.ts (owner: src)',
        '[unknown-module] src/outbox/outbox.fake.ts names import src/nowhere/nowhere.service.ts (owner: src/nowhere)',
      ]);
      expect(
        checkUnknownModules(['src/nowhere/nowhere.service.ts', 'src/main.ts'], MODULES).map(formatViolation),
      ).toEqual([
        '[unknown-module] src/nowhere/nowhere.service.ts names a file (owner: src/nowhere (not in test/architecture/ownership.ts))',
      ]);
    });
  });
});
