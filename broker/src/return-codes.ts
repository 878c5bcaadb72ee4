/**
 * CONNACK return codes of MQTT 3.1.1 (§3.2.2.3). aedes exports these as a `const enum`,
 * which does not exist at run time, so we keep our own table.
 */
export const CONNACK = {
  accepted: 0,
  unacceptableProtocol: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** SUBACK return code for a refused subscription [MQTT-3.9.3-2]. */
export const SUBACK_FAILURE = 0x80;

export type ConnackCode = (typeof CONNACK)[keyof typeof CONNACK];

export function connackError(code: ConnackCode, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode: code });
}
