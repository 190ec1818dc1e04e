// ESLint 10 flat config: typescript-eslint's type-checked recommended set on every TypeScript file
// (one TS program via the project service, ~1 min here). Formatting is Prettier's job
// (`prettier --check` in `npm run lint`); nothing here overlaps with it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'dist-dev/', 'coverage/', '.data/', '**/*.js', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_x` marks a binding kept on purpose (a positional parameter, a key dropped by a rest spread).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Simulators, demo and bench parse vendor JSON on purpose: untyped values are their input.
    files: ['scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Tests read response bodies (supertest's `body` is `any`), cast hostile inputs with `as any`,
    // and write async fakes of async interfaces that need no await.
    files: ['test/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['test/support/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Not yet typed end to end (untyped vendor JSON and pg rows in these files, and a few older
    // tests): their findings are warnings, listed by file, so every other file stays at error
    // level and a new file can never join this list silently. Shrink it; never grow it.
    files: [
      'scripts/bench/backfill.ts',
      'scripts/demo.ts',
      'scripts/sandbox/gcal/gcal-simulator.ts',
      'scripts/sandbox/gcal/push-sender.ts',
      'scripts/sandbox/gcal/service-account.ts',
      'scripts/sandbox/hubspot/hubspot-search.ts',
      'scripts/sandbox/hubspot/hubspot-simulator.ts',
      'scripts/sandbox/stripe/stripe-simulator.ts',
      'src/connectors/gcal/gcal.outbox-rows.ts',
      'src/connectors/hubspot/hubspot-webhook.handler.ts',
      'src/connectors/hubspot/hubspot.mappers.ts',
      'src/connectors/stripe/stripe.mappers.ts',
      'src/connectors/stripe/stripe.outbox-rows.ts',
      'src/records/events.repository.ts',
      'src/records/ledger-figures.repository.ts',
      'src/runs/sync.drivers.ts',
      'test/browser/dashboard.browser.test.ts',
      'test/db/job.runs.db.test.ts',
      'test/db/outbox-worker-failures.db.test.ts',
      'test/db/revenue-timezones.db.test.ts',
      'test/e2e/contract-hostile.e2e.test.ts',
      'test/e2e/stripe-sync-revenue.e2e.test.ts',
      'test/support/gcal-kit.ts',
      'test/support/outbox-test-kit.ts',
      'test/unit/gcal-simulator.test.ts',
    ],
    rules: {
      '@typescript-eslint/await-thenable': 'warn',
      '@typescript-eslint/no-base-to-string': 'warn',
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-floating-promises': 'warn',
      '@typescript-eslint/no-redundant-type-constituents': 'warn',
      '@typescript-eslint/no-unsafe-argument': 'warn',
      '@typescript-eslint/no-unsafe-assignment': 'warn',
      '@typescript-eslint/no-unsafe-call': 'warn',
      '@typescript-eslint/no-unsafe-member-access': 'warn',
      '@typescript-eslint/no-unsafe-return': 'warn',
      '@typescript-eslint/no-unused-expressions': 'warn',
      '@typescript-eslint/no-unused-vars': 'warn',
      '@typescript-eslint/restrict-template-expressions': 'warn',
      'no-unexpected-multiline': 'warn',
      'no-useless-assignment': 'warn',
      'prefer-const': 'warn',
    },
  },
);
