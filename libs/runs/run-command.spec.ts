import { describe, expect, it } from '@jest/globals';
import { MAX_RUN_LINE_CHARS, storedText } from './run-output.store.js';
import { argvOf } from './runs.service.js';

describe('argvOf', () => {
  it('runs a string through sh -c and an array as the argv itself', () => {
    expect(argvOf('node migrate.js && echo done')).toEqual(['sh', '-c', 'node migrate.js && echo done']);
    expect(argvOf(['node', 'migrate.js', '$HOME'])).toEqual(['node', 'migrate.js', '$HOME']);
  });
});

describe('storedText', () => {
  it('keeps a line up to the bound as it is', () => {
    const line = 'x'.repeat(MAX_RUN_LINE_CHARS);
    expect(storedText(line)).toBe(line);
  });

  it('cuts a longer line to the bound and says so', () => {
    const stored = storedText('y'.repeat(MAX_RUN_LINE_CHARS + 1));
    expect(stored.length).toBeLessThanOrEqual(MAX_RUN_LINE_CHARS);
    expect(stored).toMatch(/\[cut: line longer than 4000 characters\]$/);
  });

  it('never splits a surrogate pair', () => {
    const stored = storedText('😀'.repeat(MAX_RUN_LINE_CHARS));
    const kept = stored.replace(/ \[cut:.*$/, '');
    expect(kept).toBe('😀'.repeat(kept.length / 2));
  });
});
