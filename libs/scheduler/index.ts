// The public entry of libs/scheduler: other libs, apps/, test/, bench/ and scripts/ import only from here.
export {
  chooseBuildHost,
  type HostStatus,
  NoCapacityError,
  type PlacementHost,
  placeReplicas,
} from './placement.js';
