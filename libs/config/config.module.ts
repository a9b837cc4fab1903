import { DynamicModule, Global, Module } from '@nestjs/common';
import { deriveKey, loadMasterKey, SecretBox } from '../crypto/index.js';
import { BERTH_CONFIG, type BerthConfig } from './config.js';

/** Keys derived from the master key, one per purpose. */
export interface BerthKeys {
  jwtSigningKey: Buffer;
  secretBox: SecretBox;
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
            };
          },
        },
      ],
      exports: [BERTH_CONFIG, BERTH_KEYS],
    };
  }
}
