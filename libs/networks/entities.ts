import { TenantSubnet } from './tenant-subnet.entity.js';

/** The networks domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const NETWORKS_ENTITIES = [TenantSubnet];
