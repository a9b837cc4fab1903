import { describe, expect, it } from '@jest/globals';
import { parseRegistrySetting } from './registry-setting.js';

describe('BERTH_REGISTRY', () => {
  it('is off when unset or empty', () => {
    expect(parseRegistrySetting(undefined)).toBeUndefined();
    expect(parseRegistrySetting('  ')).toBeUndefined();
  });

  it('speaks http to a loopback registry and https to any other, unless a scheme is given', () => {
    expect(parseRegistrySetting('127.0.0.1:5000')).toEqual({
      address: '127.0.0.1:5000',
      apiBase: 'http://127.0.0.1:5000',
    });
    expect(parseRegistrySetting('localhost:5000/berth/')).toEqual({
      address: 'localhost:5000/berth',
      apiBase: 'http://localhost:5000',
    });
    expect(parseRegistrySetting('Registry.Internal/team')).toEqual({
      address: 'registry.internal/team',
      apiBase: 'https://registry.internal',
    });
    expect(parseRegistrySetting('http://10.0.0.5:5000')).toEqual({
      address: '10.0.0.5:5000',
      apiBase: 'http://10.0.0.5:5000',
    });
  });

  it('refuses what engines would misread or cannot use, naming the variable', () => {
    expect(() => parseRegistrySetting('myregistry')).toThrow(/Docker Hub namespace/);
    expect(() => parseRegistrySetting('ftp://127.0.0.1:5000')).toThrow(/BERTH_REGISTRY must look like/);
    expect(() => parseRegistrySetting('127.0.0.1:5000/a b')).toThrow(/BERTH_REGISTRY must look like/);
  });
});
