/** Elements that stand in an array literal as they are: no quote, backslash, brace, comma or space. */
const BARE_ELEMENT = /^[\w.:+-]+$/;

/**
 * A PostgreSQL array literal (`{a,b,"c d"}`) of strings or numbers, for a `$n::type[]` parameter. pg builds
 * the same text from a JS array by concatenating one quoted, escaped element at a time; for the log
 * archive's batches of up to 1,000 lines that was most of what its statement allocated. Here an element is
 * quoted only when it must be (never for the UUIDs, hex ids, timestamps and integers of those batches), and
 * the literal is one join. No NULL elements: callers pass values only.
 */
export function arrayLiteral(values: readonly (string | number)[]): string {
  const elements = new Array<string>(values.length);
  let previous: string | number | undefined;
  let previousElement = '';
  for (let i = 0; i < values.length; i++) {
    // A batch's ids repeat line after line: check and quote each run once.
    if (i === 0 || values[i] !== previous) {
      previous = values[i];
      previousElement = arrayElement(values[i]);
    }
    elements[i] = previousElement;
  }
  return `{${elements.join(',')}}`;
}

function arrayElement(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  if (BARE_ELEMENT.test(value) && !(value.length === 4 && value.toUpperCase() === 'NULL')) return value;
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
