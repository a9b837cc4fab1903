import { describe, expect, it } from '@jest/globals';
import { ENV_LIMITS, envVarFaults } from './app-env.js';

describe('env var faults', () => {
  it('accepts POSIX names with string values', () => {
    expect(envVarFaults({ DATABASE_URL: 'postgres://x', _private: '', A1: 'ü ✓' })).toEqual([]);
  });

  it('refuses names a shell or docker would choke on, and the platform’s own', () => {
    const fields = envVarFaults({
      '1ABC': 'x',
      'A-B': 'x',
      'A=B': 'x',
      '': 'x',
      PORT: '1',
      BERTH_X: 'y',
    }).map((fault) => fault.field);
    expect(fields).toEqual(['vars.1ABC', 'vars.A-B', 'vars.A=B', 'vars.', 'vars.PORT', 'vars.BERTH_X']);
  });

  it('refuses NUL in a value, non-string values and a non-object', () => {
    expect(envVarFaults({ A: 'x\0y' })[0].message).toMatch(/NUL/);
    expect(envVarFaults({ A: 1 })[0].message).toMatch(/strings/);
    expect(envVarFaults(['A'])[0].field).toBe('vars');
    expect(envVarFaults(null)[0].field).toBe('vars');
  });

  it('caps the count, each value and the total', () => {
    const many = Object.fromEntries(Array.from({ length: ENV_LIMITS.maxVars + 1 }, (_, i) => [`V${i}`, 'x']));
    expect(envVarFaults(many).map((fault) => fault.message)).toContain(
      `at most ${ENV_LIMITS.maxVars} env vars`,
    );
    expect(envVarFaults({ A: 'x'.repeat(ENV_LIMITS.maxValueBytes + 1) })).toHaveLength(1);
    const big = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`V${i}`, 'x'.repeat(ENV_LIMITS.maxValueBytes)]),
    );
    expect(envVarFaults(big).map((fault) => fault.field)).toEqual(['vars']);
  });
});
