import { APPS_ENTITIES } from '../apps/index.js';
import { AUDIT_ENTITIES } from '../audit/index.js';
import { BUILDS_ENTITIES } from '../builds/index.js';
import { DRAINS_ENTITIES } from '../drains/index.js';
import { EVENTS_ENTITIES } from '../events/index.js';
import { HOSTS_ENTITIES } from '../hosts/index.js';
import { IDENTITY_ENTITIES } from '../identity/index.js';
import { INGRESS_ENTITIES } from '../ingress/index.js';
import { METERING_ENTITIES } from '../metering/index.js';
import { METRICS_ENTITIES } from '../metrics/index.js';
import { NETWORKS_ENTITIES } from '../networks/index.js';
import { PLANS_ENTITIES } from '../plans/index.js';
import { RUNS_ENTITIES } from '../runs/index.js';
import { RUNTIME_ENTITIES } from '../runtime/index.js';
import { WEBHOOKS_ENTITIES } from '../webhooks/index.js';

/** Every entity of every domain: the api, the worker, the migration generator and the tests share this list. */
export const ENTITIES = [
  ...PLANS_ENTITIES,
  ...IDENTITY_ENTITIES,
  ...AUDIT_ENTITIES,
  ...HOSTS_ENTITIES,
  ...APPS_ENTITIES,
  ...BUILDS_ENTITIES,
  ...RUNTIME_ENTITIES,
  ...RUNS_ENTITIES,
  ...METERING_ENTITIES,
  ...METRICS_ENTITIES,
  ...NETWORKS_ENTITIES,
  ...INGRESS_ENTITIES,
  ...EVENTS_ENTITIES,
  ...WEBHOOKS_ENTITIES,
  ...DRAINS_ENTITIES,
];
