import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';

interface Resolved {
  select: string;
  columns: { metadata: ColumnMetadata; field: string }[];
  create: () => ObjectLiteral;
}

/**
 * An entity's columns for a hand-written SELECT that returns the same entity find() would, without
 * find()'s query building on every call (most of a cheap read's CPU): `select` lists every column the
 * entity loads, aliased "<alias>.<property>", made once from TypeORM's metadata; `hydrate` turns those
 * fields of a raw row into the entity, each value through the driver's own hydration (dates, JSON,
 * booleans, transformers), as find() does. The metadata is read on first use: tools that build the app
 * without a database (OpenAPI) never have it.
 */
export class EntityColumns<T extends ObjectLiteral> {
  private resolved: Resolved | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly target: EntityTarget<T>,
    private readonly alias: string,
  ) {}

  get select(): string {
    return this.resolve().select;
  }

  /** The entity in `row`, or null when its primary key is null (an outer join that found nothing). */
  hydrate(row: Record<string, unknown>): T | null {
    const { columns, create } = this.resolve();
    const entity = create();
    for (const { metadata, field } of columns) {
      const value = row[field];
      if (metadata.isPrimary && value === null) return null;
      entity[metadata.propertyName] = this.dataSource.driver.prepareHydratedValue(value, metadata);
    }
    return entity as T;
  }

  private resolve(): Resolved {
    if (this.resolved) return this.resolved;
    const entity = this.dataSource.getMetadata(this.target);
    const columns = entity.columns.filter((column) => column.isSelect && !column.isVirtual);
    if (columns.some((column) => column.embeddedMetadata)) {
      throw new Error(`EntityColumns does not handle the embedded columns of ${entity.name}`);
    }
    this.resolved = {
      select: columns
        .map((column) => `"${this.alias}"."${column.databaseName}" AS "${this.alias}.${column.propertyName}"`)
        .join(', '),
      columns: columns.map((metadata) => ({ metadata, field: `${this.alias}.${metadata.propertyName}` })),
      create: () => entity.create() as ObjectLiteral,
    };
    return this.resolved;
  }
}
