// The rooms of the house (docs/architecture.md, "Rooms"): which folder may import which. Run by
// `npm run lint` and scripts/test.sh; scripts/dependency-rules.spec.ts plants violations to prove each
// rule still fails.
const LIB_ENTRY = '^libs/[^/]+/(testing/)?index\\.ts$';
const TESTING_ENTRY = '^libs/[^/]+/testing/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'lib-deep-import',
      comment:
        'A lib imports another lib only through its entry (libs/<x>/index.ts, or libs/<x>/testing/index.ts from tests).',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/[^/]+/', pathNot: ['^libs/$1/', LIB_ENTRY] },
    },
    {
      name: 'outside-deep-import',
      comment: 'apps/, test/, bench/, scripts/ and migrations/ import a lib only through its entry.',
      severity: 'error',
      from: { pathNot: '^libs/' },
      to: { path: '^libs/[^/]+/', pathNot: LIB_ENTRY },
    },
    {
      name: 'folder-cycle',
      comment: 'The folders (libs/* as units) form no cycle: every edge between two rooms goes one way.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-imports-app',
      comment: 'Libs are shared by the api and the worker; they never reach into apps/.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'dockerode-outside-engine',
      comment: 'Only libs/engine talks to Docker.',
      severity: 'error',
      from: { pathNot: '^libs/engine/' },
      to: { path: '(^|/)node_modules/(@types/)?dockerode/' },
    },
    {
      name: 'testing-entry-outside-tests',
      comment:
        'Fakes and fixtures (libs/<x>/testing/) are for specs, test/, bench/ and other testing/ folders.',
      severity: 'error',
      from: { pathNot: ['\\.spec\\.ts$', '^test/', '^bench/', '/testing/'] },
      to: { path: TESTING_ENTRY },
    },
    {
      name: 'testing-reachable-from-production',
      comment: 'Nothing the api or the worker loads reaches a testing folder, however indirectly.',
      severity: 'error',
      from: { path: '^apps/(api|worker)/src/main\\.ts$' },
      to: { path: '/testing/', reachable: true },
    },
    {
      name: 'cli-beside-the-platform',
      comment:
        "The CLI and the typed client are the platform's customers: they reach it through the API only, never its code.",
      severity: 'error',
      from: { path: '^(apps/cli|packages)/' },
      to: { path: '^(libs|apps/(api|worker)|migrations)/' },
    },
    {
      name: 'unresolvable-import',
      comment: 'An import the cruiser cannot resolve would hide from every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.data|coverage)/' },
    // Type-only imports are dependencies too: a room that names another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    // `--output-type archi` draws one box per room.
    reporterOptions: {
      archi: {
        collapsePattern:
          '^(libs|apps)/[^/]+|^(test|bench|scripts|migrations)/|node_modules/(@[^/]+/[^/]+|[^/]+)',
      },
    },
  },
};
