/** PostgreSQL's unique_violation (SQLSTATE 23505), whether TypeORM wrapped the driver's error or not. */
export function isUniqueViolation(err: unknown): boolean {
  return (
    (err as { code?: string; driverError?: { code?: string } })?.driverError?.code === '23505' ||
    (err as { code?: string })?.code === '23505'
  );
}
