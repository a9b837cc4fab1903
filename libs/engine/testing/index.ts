// The testing entry of libs/engine: in-memory stand-ins for tests and benches. Production code never
// imports it (dependency-cruiser rule `testing-entry-only-from-tests`).
export { FakeEngine } from './fake-engine.js';
export { FakeRegistry } from './fake-images.js';
