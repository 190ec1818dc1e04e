// Pure checks behind the architecture test: table ownership (a text scan of src) and module
// boundaries (over an import graph, which the test takes from dependency-cruiser's cruise()).
// Pure so that a synthetic file or edge goes through exactly the code that checks the real ones.
import ts from 'typescript';
import { APP_ROOT, ENTITY_REGISTRY, type ModuleSpec } from './ownership.js';

export type Modules = Readonly<Record<string, ModuleSpec>>;

export interface Violation {
  rule: 'foreign-table' | 'foreign-entity' | 'module-internals' | 'src-imports-dev-code' | 'unknown-module';
  /** Offending file, relative to the repository root, with its line for table references. */
  file: string;
  line?: number;
  /** What the file names or imports. */
  names: string;
  /** Module folder that owns it. */
  owner: string;
}

export function formatViolation(v: Violation): string {
  const at = v.line === undefined ? v.file : `${v.file}:${v.line}`;
  return `[${v.rule}] ${at} names ${v.names} (owner: ${v.owner})`;
}

/**
 * The module a repository path belongs to: the longest module folder of the map containing it,
 * `src` for files directly in src/, and for an unmapped folder its would-be module name
 * (`src/<x>` or `src/connectors/<x>`) with known=false. null outside src/.
 */
export function moduleOf(path: string, modules: Modules): { folder: string; known: boolean } | null {
  if (!path.startsWith(`${APP_ROOT}/`)) return null;
  let best: string | null = null;
  for (const folder of Object.keys(modules)) {
    if (path.startsWith(`${folder}/`) && (best === null || folder.length > best.length)) best = folder;
  }
  if (best !== null) return { folder: best, known: true };
  const rest = path.slice(APP_ROOT.length + 1).split('/');
  if (rest.length === 1) return { folder: APP_ROOT, known: true };
  const folder =
    rest[0] === 'connectors' && rest.length > 2 ? `${APP_ROOT}/connectors/${rest[1]}` : `${APP_ROOT}/${rest[0]}`;
  return { folder, known: false };
}

export interface TableReference {
  table: string;
  line: number;
  /** The SQL keyword, kysely method or property that named it, e.g. `FROM`, `selectFrom()`. */
  via: string;
}

// A table named after a SQL keyword; DELETE FROM and EXISTS (SELECT … FROM …) are covered by FROM.
const SQL_TABLE =
  /\b(FROM|JOIN|INTO|UPDATE|TABLE|REFERENCES|TRUNCATE)\s+(?:ONLY\s+|IF\s+(?:NOT\s+)?EXISTS\s+)?(?:"?public"?\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?/gi;
// kysely builders whose first argument is a table (`'payments'` or `'payments as p'`).
const KYSELY_TABLE_METHODS = new Set([
  'selectFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
  'innerJoin',
  'leftJoin',
  'rightJoin',
  'fullJoin',
  'crossJoin',
  'innerJoinLateral',
  'leftJoinLateral',
]);

/**
 * Every reference to a table in `known` that a TypeScript source makes: table names after SQL
 * keywords inside string and template literals (comments never count), kysely builder calls, and
 * `tableName: '…'` (entity and migration-table definitions).
 */
export function findTableReferences(fileName: string, text: string, known: ReadonlySet<string>): TableReference[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const refs: TableReference[] = [];
  const lineAt = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const scanSql = (sql: string, start: number): void => {
    for (const m of sql.matchAll(SQL_TABLE)) {
      const table = m[2].toLowerCase();
      if (!known.has(table)) continue;
      const newlines = sql.slice(0, m.index).split('\n').length - 1;
      refs.push({ table, line: lineAt(start) + newlines, via: m[1].toUpperCase() });
    }
  };
  const firstWord = (s: string): string => s.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      scanSql(node.text, node.getStart(sf));
    } else if (ts.isTemplateExpression(node)) {
      // `${…}` holes become a placeholder so a keyword and a table on either side stay apart.
      const sql = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' $? ');
      scanSql(sql, node.getStart(sf));
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const arg = node.arguments[0];
      if (KYSELY_TABLE_METHODS.has(method) && arg && ts.isStringLiteralLike(arg)) {
        const table = firstWord(arg.text);
        if (known.has(table)) refs.push({ table, line: lineAt(arg.getStart(sf)), via: `${method}()` });
      }
    }
    if (
      ts.isPropertyAssignment(node) &&
      (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) &&
      node.name.text === 'tableName' &&
      ts.isStringLiteralLike(node.initializer)
    ) {
      const table = firstWord(node.initializer.text);
      if (known.has(table)) refs.push({ table, line: lineAt(node.initializer.getStart(sf)), via: 'tableName' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/** Table-ownership violations of one src file (path relative to the repository root). */
export function checkTables(
  file: string,
  text: string,
  modules: Modules,
  owners: ReadonlyMap<string, string>,
): Violation[] {
  const mod = moduleOf(file, modules);
  if (mod === null) return [];
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const ref of findTableReferences(file, text, new Set(owners.keys()))) {
    const owner = owners.get(ref.table)!;
    if (owner === mod.folder) continue;
    const key = `${ref.line}:${ref.table}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ rule: 'foreign-table', file, line: ref.line, names: `table ${ref.table} (${ref.via})`, owner });
  }
  return out;
}

/** One resolved import between repository files, as cruise() reports it. */
export interface ImportEdge {
  from: string;
  to: string;
}

/**
 * Boundary violations of one import: src importing scripts/ or test/, an unmapped module, another
 * module's entity file (table ownership), or any file outside another module's public surface.
 */
export function checkImport(edge: ImportEdge, modules: Modules): Violation[] {
  const { from, to } = edge;
  const fromMod = moduleOf(from, modules);
  if (fromMod === null) return [];
  if (/^(scripts|test)\//.test(to)) {
    return [{ rule: 'src-imports-dev-code', file: from, names: `import ${to}`, owner: to.split('/')[0] }];
  }
  const toMod = moduleOf(to, modules);
  if (toMod === null) return [];
  if (!fromMod.known) return [{ rule: 'unknown-module', file: from, names: `import ${to}`, owner: fromMod.folder }];
  if (toMod.folder === fromMod.folder) return [];
  if (!toMod.known) return [{ rule: 'unknown-module', file: from, names: `import ${to}`, owner: toMod.folder }];
  if (to.endsWith('.entity.ts')) {
    if (from === ENTITY_REGISTRY) return [];
    return [{ rule: 'foreign-entity', file: from, names: `entity ${to}`, owner: toMod.folder }];
  }
  if (toMod.folder === APP_ROOT) {
    // Modules never import the app root (AppModule, entry points): that would be a cycle.
    return [{ rule: 'module-internals', file: from, names: `import ${to}`, owner: APP_ROOT }];
  }
  const local = to.slice(toMod.folder.length + 1);
  if (modules[toMod.folder].publicSurface.includes(local)) return [];
  return [{ rule: 'module-internals', file: from, names: `import ${to}`, owner: toMod.folder }];
}

/** Files in src/ that sit in a folder the map does not know: each must be added as a module. */
export function checkUnknownModules(files: readonly string[], modules: Modules): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const mod = moduleOf(file, modules);
    if (mod && !mod.known)
      out.push({
        rule: 'unknown-module',
        file,
        names: 'a file',
        owner: `${mod.folder} (not in test/architecture/ownership.ts)`,
      });
  }
  return out;
}
