/** Prints for people (a table or lines) or, with --json, the API's own JSON for scripts. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? '-'
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  process.stdout.write(line(columns.map((c) => c.toUpperCase())) + '\n');
  for (const row of rows) process.stdout.write(line(columns.map((c) => cell(row[c]))) + '\n');
}

export function printFields(value: Record<string, unknown>, fields: string[]): void {
  const width = Math.max(...fields.map((f) => f.length));
  for (const field of fields) {
    const raw = value[field];
    const text =
      raw === null || raw === undefined ? '-' : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
    process.stdout.write(`${field.padEnd(width)}  ${text}\n`);
  }
}

/** Progress and status go to stderr, so stdout stays the command's result. */
export function say(text: string): void {
  process.stderr.write(text + '\n');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
