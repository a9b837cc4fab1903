import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * Router bytes of one app in one usage window, added up as the router's access lines are read and moved
 * into `usage_records` (kind `egress`) by the meter once the window is closed (the row is then deleted).
 * A staging table: nothing reads it but the meter.
 */
@Entity('router_traffic')
export class RouterTraffic {
  @PrimaryColumn({ name: 'app_id', type: 'uuid' })
  appId: string;

  @PrimaryColumn({ name: 'window_start', type: 'timestamptz' })
  windowStart: Date;

  @Column({ name: 'window_end', type: 'timestamptz' })
  windowEnd: Date;

  /** Kept here so a window of an app deleted meanwhile is still billed to its tenant. */
  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'bytes_in', type: 'bigint' })
  bytesIn: string;

  @Column({ name: 'bytes_out', type: 'bigint' })
  bytesOut: string;
}

/**
 * How far the router log of a host has been counted into `router_traffic`: the container and the
 * position (timestamp, ordinal among lines of that timestamp) of the last line counted. Moved in the
 * same transaction as the bytes it counted, so a crash neither loses nor repeats a line.
 */
@Entity('router_log_positions')
export class RouterLogPosition {
  @PrimaryColumn({ name: 'host_id', type: 'uuid' })
  hostId: string;

  @Column({ name: 'container_id', type: 'varchar', length: 64 })
  containerId: string;

  /** Canonical RFC 3339 with nine fraction digits. */
  @Column({ type: 'varchar', length: 40 })
  timestamp: string;

  @Column({ type: 'integer' })
  ordinal: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
