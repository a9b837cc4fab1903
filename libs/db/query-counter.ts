import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'typeorm';

/** Queries counted so far by the `countQueries` calls this async context runs inside. */
interface QueryTally {
  queries: number;
}

const tallies = new AsyncLocalStorage<QueryTally[]>();
/** Every statement this process sent through a Berth DataSource, in any context (for the bench). */
let statementsInProcess = 0;

/** How many SQL statements this process has sent so far through Berth's DataSources, whatever sent them. */
export function statementsSent(): number {
  return statementsInProcess;
}

/**
 * Runs `work` and counts the SQL statements it sends through any Berth DataSource (its own and those of
 * the calls it makes, nested counts included), while queries of other work running meanwhile (API
 * requests, other loops) are not counted: the count follows the async context, not the clock.
 */
export async function countQueries<T>(work: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const tally: QueryTally = { queries: 0 };
  const result = await tallies.run([...(tallies.getStore() ?? []), tally], work);
  return { result, queries: tally.queries };
}

/**
 * TypeORM's logger for Berth's DataSources: it prints nothing (the DataSource's `logging: false`; errors
 * reach their callers) and counts each statement for `countQueries`. TypeORM calls `logQuery` for every
 * statement a query runner sends, the raw `dataSource.query` ones included.
 */
export class QueryCountingLogger implements Logger {
  logQuery(): void {
    statementsInProcess += 1;
    for (const tally of tallies.getStore() ?? []) tally.queries += 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
