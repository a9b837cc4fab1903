/** The package.json script a build reads as the release phase's command. */
export const RELEASE_SCRIPT = 'berth:release';
/** How a release runs that script: npm puts node_modules/.bin on PATH, as for `npm start`. */
export const PACKAGE_RELEASE_COMMAND: readonly string[] = ['npm', 'run', '--silent', RELEASE_SCRIPT];

/**
 * The command a new release runs before its replicas start: the one set through the API wins; else the
 * build's scripts["berth:release"]; else none.
 */
export function releaseCommandFor(apiCommand: string[] | null, packageScript: boolean): string[] | null {
  if (apiCommand && apiCommand.length > 0) return [...apiCommand];
  return packageScript ? [...PACKAGE_RELEASE_COMMAND] : null;
}
