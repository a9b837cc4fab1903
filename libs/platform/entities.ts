import { APPS_ENTITIES } from '../apps/entities.js';
import { AUDIT_ENTITIES } from '../audit/entities.js';
import { BUILDS_ENTITIES } from '../builds/entities.js';
import { HOSTS_ENTITIES } from '../hosts/entities.js';
import { IDENTITY_ENTITIES } from '../identity/entities.js';
import { METERING_ENTITIES } from '../metering/entities.js';
import { PLANS_ENTITIES } from '../plans/entities.js';
import { RUNTIME_ENTITIES } from '../runtime/entities.js';

/** Every entity of every domain: the api, the worker, the migration generator and the tests share this list. */
export const ENTITIES = [
  ...PLANS_ENTITIES,
  ...IDENTITY_ENTITIES,
  ...AUDIT_ENTITIES,
  ...HOSTS_ENTITIES,
  ...APPS_ENTITIES,
  ...BUILDS_ENTITIES,
  ...RUNTIME_ENTITIES,
  ...METERING_ENTITIES,
];
