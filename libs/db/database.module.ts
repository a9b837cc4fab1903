import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createDataSource, type EntityList } from './data-source.js';

@Module({})
export class DatabaseModule {
  /**
   * `connect: false` builds the module graph without touching PostgreSQL, for tools such as the OpenAPI
   * generator that only read decorators.
   */
  static forRoot(options: { url: string; entities: EntityList; connect?: boolean }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...createDataSource(options.url, options.entities).options,
            manualInitialization: options.connect === false,
          }),
        }),
      ],
    };
  }
}
