// The public entry of libs/crypto: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { deriveKey, loadMasterKey } from './master-key.js';
export { randomToken, SecretBox, tokenHash } from './secret-box.js';
