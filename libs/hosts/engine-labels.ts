/** The label that names the test run on every Docker object a test creates (scripts/sweep-test-resources.sh). */
export const TEST_RUN_LABEL = 'berth.test-run';

/**
 * Labels every engine of the pool adds to the containers, networks and images it creates. BERTH_TEST_RUN
 * is set by the e2e tests' global setup (never in production); this is the one place Berth reads it, so
 * everything a test run makes through the pool can be found and removed afterwards.
 */
export function engineExtraLabels(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const runId = env.BERTH_TEST_RUN;
  return runId ? { [TEST_RUN_LABEL]: runId } : {};
}
