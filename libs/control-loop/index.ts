// The public entry of libs/control-loop: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { ControlLoop, LOCK_KEYS } from './control-loop.js';
