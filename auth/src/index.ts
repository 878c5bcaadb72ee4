export { generateSigningKey, rotateKeyring, type Keyring, type SigningKey } from './keyring.js';
export { createTokenService, type TokenService, type ReloadableTokenService, type MintOptions, type MintedToken, type RevocationCheck } from './tokens.js';
export { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS, parseTtl } from './lifetimes.js';
