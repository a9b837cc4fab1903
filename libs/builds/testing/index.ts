// The testing entry of libs/builds: archive fixtures and an intake harness for tests. Production code
// never imports it.
export {
  type ListedEntry,
  type TarFixtureEntry,
  type ZipFixtureEntry,
  PACKAGE_JSON,
  collect,
  deflatedZeros,
  files,
  listTar,
  tarGz,
  tempDir,
  writeTarGzBomb,
  zip,
} from './archive-fixtures.js';
export { intakeHarness } from './intake-harness.js';
