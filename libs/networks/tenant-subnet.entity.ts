import { Column, CreateDateColumn, Entity, Exclusion, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * The subnet of one tenant's bridge network on one host. Two constraints make a double hand-out
 * impossible whatever the callers do: one row per (host, tenant), and no two rows whose subnets overlap
 * (a GiST exclusion on the `cidr` column: unique across the whole pool, not only per host, so one
 * address names one tenant network everywhere).
 */
@Entity('tenant_subnets')
@Unique('UQ_tenant_subnets_host_tenant', ['hostId', 'tenantId'])
@Exclusion('EX_tenant_subnets_no_overlap', 'USING gist ("subnet" inet_ops WITH &&)')
export class TenantSubnet {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'host_id', type: 'uuid' })
  hostId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** "10.64.3.0/24" (PostgreSQL `cidr`: refuses host bits, prints canonically). */
  @Column({ type: 'cidr' })
  subnet: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
