// dependency-cruiser rules generated from a module map (test/architecture/ownership.ts). Kept apart
// from .dependency-cruiser.cjs because dependency-cruiser clones its config and a function in it
// cannot be cloned; test/unit/architecture.test.ts calls rulesFor() with modified maps to check
// that these rules and its own checker agree.
const { APP_ROOT, ENTITY_REGISTRY } = require('./ownership.ts');

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Forbidden rules for a given module map (the test feeds it a modified map too). */
function rulesFor(modules) {
  const folders = Object.keys(modules);
  // A file's module is the longest mapped folder containing it; nested folders are excluded from a parent.
  const ownFiles = (folder) => {
    const nested = folders.filter((f) => f !== folder && f.startsWith(`${folder}/`)).map((f) => `^${esc(f)}/`);
    return { path: `^${esc(folder)}/`, ...(nested.length ? { pathNot: nested } : {}) };
  };
  const known = folders.map((f) => `^${esc(f)}/`);
  const rules = [
    {
      name: 'src-imports-dev-code',
      comment: 'Production code must not depend on scripts/ (simulators, demo, bench) or test/.',
      severity: 'error',
      from: { path: `^${esc(APP_ROOT)}/` },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'unknown-module',
      comment: 'Every folder under src/ is a module listed in test/architecture/ownership.ts.',
      severity: 'error',
      from: { path: `^${esc(APP_ROOT)}/[^/]+/`, pathNot: known },
      to: { path: `^${esc(APP_ROOT)}/` },
    },
    {
      name: 'unknown-module',
      comment: 'Every folder under src/ is a module listed in test/architecture/ownership.ts.',
      severity: 'error',
      from: { path: `^${esc(APP_ROOT)}/` },
      to: { path: `^${esc(APP_ROOT)}/[^/]+/`, pathNot: known },
    },
    {
      name: 'module-internals',
      comment: 'Modules never import the app root (AppModule, entry points).',
      severity: 'error',
      from: { path: `^${esc(APP_ROOT)}/[^/]+/` },
      to: { path: `^${esc(APP_ROOT)}/[^/]+$` },
    },
  ];
  for (const folder of folders) {
    const own = ownFiles(folder);
    const publicFiles = modules[folder].publicSurface.map((f) => esc(f)).join('|');
    const others = { path: `^${esc(APP_ROOT)}/`, pathNot: [`^${esc(folder)}/`] };
    rules.push(
      {
        name: 'foreign-entity',
        comment: `${folder}'s tables are its own: call its service or repository, not its entities.`,
        severity: 'error',
        from: { ...others, pathNot: [...others.pathNot, `^${esc(ENTITY_REGISTRY)}$`] },
        to: { ...own, path: `^${esc(folder)}/.*\\.entity\\.ts$` },
      },
      {
        name: 'module-internals',
        comment: `Other modules may import only ${folder}'s public surface (test/architecture/ownership.ts).`,
        severity: 'error',
        from: others,
        to: {
          ...own,
          pathNot: [
            ...(own.pathNot ?? []),
            '\\.entity\\.ts$',
            ...(publicFiles ? [`^${esc(folder)}/(${publicFiles})$`] : []),
          ],
        },
      },
    );
  }
  return rules;
}

module.exports = { rulesFor };
