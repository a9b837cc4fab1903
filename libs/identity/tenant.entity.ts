import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type TenantKind = 'customer' | 'platform';
export type TenantStatus = 'active' | 'suspended';

@Entity('tenants')
export class Tenant {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  /** `platform` is the single tenant that holds the operators. */
  @Column({ type: 'varchar', length: 16, default: 'customer' })
  kind: TenantKind;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: TenantStatus;

  @Column({ name: 'plan_id', type: 'varchar', length: 40 })
  planId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
