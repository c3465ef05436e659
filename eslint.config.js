// Lint rules the house style names: floating promises, exhaustive switches, type-only imports;
// typescript-eslint's recommended set; the import boundaries between src's top-level folders
// (the folder-level cycle check is scripts/check-layers.js, run by `npm run lint` too);
// eslint-config-prettier last, so formatting is Prettier's alone.
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The three house rules, for the server code and the dashboard alike.
const houseRules = {
  '@typescript-eslint/no-floating-promises': [
    'error',
    // node:test's describe/it/test return promises the runner itself awaits.
    { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
  ],
  '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
  '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
  // A leading underscore marks a deliberately unused binding (`const { id: _id, ...rest } = row`).
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
};

// Who may import whom inside src (README "Layout"): the core imports only the core, node: builtins
// and two pure libraries; adapters, the HTTP layer and the dialects build on the core; each dialect
// keeps to its own folder plus the shared kit; the top-level files compose everything.
const anyExternal = { module: { origin: ['external', 'core'] } };
const boundaryPolicies = [
  {
    from: { element: { type: 'core' } },
    allow: [
      { to: { element: { type: 'core' } } },
      { to: { module: { origin: 'core' } } },
      { to: { module: { origin: 'external', source: ['@sinclair/typebox', 'libphonenumber-js'] } } },
    ],
  },
  {
    from: { element: { type: 'adapters' } },
    allow: [{ to: { element: { types: { anyOf: ['core', 'adapters'] } } } }, { to: anyExternal }],
  },
  {
    from: { element: { type: 'http' } },
    allow: [{ to: { element: { types: { anyOf: ['core', 'http'] } } } }, { to: anyExternal }],
  },
  {
    from: { element: { type: 'dialect-kit' } },
    allow: [{ to: { element: { types: { anyOf: ['core', 'http', 'dialect-kit'] } } } }, { to: anyExternal }],
  },
  {
    from: { element: { type: 'dialect' } },
    allow: [
      { to: { element: { types: { anyOf: ['core', 'http', 'dialect-kit'] } } } },
      { to: { element: { type: 'dialect', captured: { dialect: '{{ from.element.captured.dialect }}' } } } },
      { to: anyExternal },
    ],
  },
  // The top-level files (the CLI among them) also use the repository's own packages (packages/client).
  { from: { element: { type: 'composition' } }, allow: [{ to: { element: { type: '*' } } }, { to: anyExternal }, { to: { module: { origin: 'local' } } }] },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/profiles/**', 'test-output/**', 'bin/**', 'scripts/**', 'eslint.config.js', 'dashboard/build.js', 'dashboard/vite.config.js'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'testkit/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: globals.node, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: houseRules,
  },
  {
    files: ['test/**/*.ts'],
    // Tests read the API's replies as untyped JSON (inject's res.json() is `any`) and poke at rows.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['dashboard/src/**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { project: './dashboard/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: houseRules,
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      'boundaries/legacy-templates': false,
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      // `typeof import('x')` in a type position is a dependency too.
      'boundaries/additional-dependency-nodes': [{ selector: 'TSImportType > Literal', kind: 'type', name: 'type-import' }],
      'boundaries/elements': [
        { type: 'core', pattern: 'src/core', partialMatch: false },
        { type: 'adapters', pattern: 'src/adapters', partialMatch: false },
        { type: 'http', pattern: 'src/http', partialMatch: false },
        { type: 'dialect-kit', pattern: 'src/dialects/kit', partialMatch: false },
        { type: 'dialect', pattern: 'src/dialects/*', capture: ['dialect'], partialMatch: false },
        // Listed last: whatever the folders above do not claim, i.e. src's top-level files.
        { type: 'composition', pattern: 'src', partialMatch: false },
      ],
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', checkAllOrigins: true, checkUnknownLocals: true, policies: boundaryPolicies }],
      'boundaries/no-unknown-files': 'error',
    },
  },
  prettier,
);
