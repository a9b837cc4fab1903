// The public entry of libs/ingress: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { defaultHostname, isRoutableHostname } from './hostnames.js';
export {
  renderRouterConfig,
  type RouterConfigInput,
  type RouterRoute,
  type RouterServer,
} from './router-config.js';
