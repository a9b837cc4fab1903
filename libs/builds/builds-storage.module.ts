import path from 'node:path';
import { Module } from '@nestjs/common';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { FileBlobStore } from './blob-store.js';

/** Where uploaded sources live: a BlobStore (the filesystem under the data folder by default). */
export const BLOB_STORE = Symbol('BLOB_STORE');

@Module({
  providers: [
    {
      provide: BLOB_STORE,
      inject: [BERTH_CONFIG],
      useFactory: (config: BerthConfig) => new FileBlobStore(path.join(config.dataDir, 'blobs')),
    },
  ],
  exports: [BLOB_STORE],
})
export class BuildsStorageModule {}
