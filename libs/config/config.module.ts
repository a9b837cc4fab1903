import { DynamicModule, Global, Module } from '@nestjs/common';
import { deriveKey, loadMasterKey, SecretBox } from '../crypto/index.js';
import { BERTH_CONFIG, type BerthConfig } from './config.js';

/** Keys derived from the master key, one per purpose. */
export interface BerthKeys {
  jwtSigningKey: Buffer;
  secretBox: SecretBox;
  /** Passwords of the registry token service's two accounts (derived: nothing is stored). */
  registryCredentials: RegistryCredentials;
}

/** The registry token service's accounts: `berth-pull` may only pull, `berth-push` may pull and push. */
export interface RegistryCredentials {
  pull: { username: 'berth-pull'; password: string };
  push: { username: 'berth-push'; password: string };
}

/** Derived from the master key, so every process of an installation agrees and nothing is stored. */
export function registryCredentials(master: Buffer): RegistryCredentials {
  return {
    pull: { username: 'berth-pull', password: deriveKey(master, 'registry-pull').toString('base64url') },
    push: { username: 'berth-push', password: deriveKey(master, 'registry-push').toString('base64url') },
  };
}
export const BERTH_KEYS = Symbol('BERTH_KEYS');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BerthConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: BERTH_CONFIG, useValue: config },
        {
          provide: BERTH_KEYS,
          useFactory: (): BerthKeys => {
            const master = loadMasterKey({ configured: config.masterKey, dataDir: config.dataDir });
            return {
              jwtSigningKey: deriveKey(master, 'jwt'),
              secretBox: new SecretBox(deriveKey(master, 'secrets')),
              registryCredentials: registryCredentials(master),
            };
          },
        },
      ],
      exports: [BERTH_CONFIG, BERTH_KEYS],
    };
  }
}
