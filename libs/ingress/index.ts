// The public entry of libs/ingress: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { defaultHostname, isRoutableHostname } from './hostnames.js';
export {
  renderRouterConfig,
  type RouterConfigInput,
  type RouterRoute,
  type RouterServer,
} from './router-config.js';
export { EdgeRouter } from './edge-router.js';
export { IngressLoop } from './ingress-loop.js';
export { RouterTrafficCollector } from './router-traffic.js';
export { parseRouterAccessLine, routerLogText, type RouterAccessLine } from './router-access-log.js';
export { appRouterLines, RouterLogs, type RouterLogSource, type RouterSourceLine } from './router-logs.js';
export { IngressModule } from './ingress.module.js';
export { INGRESS_SETTINGS, ingressSettingsFrom, type IngressSettings } from './ingress-settings.js';
export { ROUTER_ROLE, routerContainerName, routerContainerSpec } from './router-container.js';
export { routingTable, type RoutingRows } from './routing-table.js';
export { AppDomain } from './app-domain.entity.js';
export { AppDomainsRepository } from './app-domains.repository.js';
export { AppUrls } from './app-urls.js';
export { INGRESS_ENTITIES } from './entities.js';
export { CHALLENGE_LABEL, dnsServersFrom, holdsToken } from './domain-verification.js';
export { customHostnameProblem } from './custom-hostname.js';
export { DomainsService, type DomainState } from './domains.service.js';
export { CertificateRejectedError, checkCertificate, type CheckedCertificate } from './certificate-check.js';
