import { AppDomain } from './app-domain.entity.js';

export const INGRESS_ENTITIES = [AppDomain];
