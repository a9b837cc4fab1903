import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { parseRegistrySetting, parseRegistryTokenSetting } from './registry-setting.js';

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

describe('BERTH_REGISTRY_TOKEN_KEY', () => {
  const registry = parseRegistrySetting('127.0.0.1:5000');

  it('is off without a key: the registry is anonymous', () => {
    expect(parseRegistryTokenSetting(registry, {})).toBeUndefined();
  });

  it('takes the key path, with the default issuer and service the registry script writes', () => {
    expect(parseRegistryTokenSetting(registry, { keyFile: 'reg/token.key' })).toEqual({
      keyFile: path.resolve('reg/token.key'),
      issuer: 'berth',
      service: 'berth-registry',
    });
    expect(
      parseRegistryTokenSetting(registry, { keyFile: '/k', issuer: 'i', service: 'reg.example:5000' }),
    ).toEqual({
      keyFile: '/k',
      issuer: 'i',
      service: 'reg.example:5000',
    });
  });

  it('is refused at start without a registry, or with a name a registry config cannot hold', () => {
    expect(() => parseRegistryTokenSetting(undefined, { keyFile: '/k' })).toThrow(/BERTH_REGISTRY is not/);
    expect(() => parseRegistryTokenSetting(registry, { keyFile: '/k', service: 'a"b' })).toThrow(
      /BERTH_REGISTRY_SERVICE/,
    );
  });
});
