export { generateSigningKey, rotateKeyring, type Keyring, type SigningKey } from './keyring.js';
export { createTokenService, type TokenService, type MintOptions, type MintedToken, type RevocationCheck } from './tokens.js';
