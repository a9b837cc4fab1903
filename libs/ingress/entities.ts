import { AcmeAccount } from './acme-account.entity.js';
import { AcmeChallenge } from './acme-challenge.entity.js';
import { AppDomain } from './app-domain.entity.js';

export const INGRESS_ENTITIES = [AppDomain, AcmeAccount, AcmeChallenge];
