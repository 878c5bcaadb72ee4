import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Aedes, Client } from 'aedes';
import type { ConnDetails } from './transports.js';

/**
 * Every reach into aedes internals, in one place. aedes documents hooks and events, not these
 * fields; each accessor below was read against the aedes source of this version (with
 * mqtt-packet 9.0.2, aedes-persistence 11.0.0). When upgrading aedes, re-read them against the
 * new source, then bump this (broker/test/aedes-internals.test.ts fails until you do).
 */
export const AEDES_CHECKED_VERSION = '1.2.0';

// ── the broker object ───────────────────────────────────────────────────────────────────────

/** `aedes.clients`: connected clients by client id (the live map, not a copy). */
export const clientsOf = (aedes: Aedes): Record<string, Client> => (aedes as unknown as { clients: Record<string, Client> }).clients;

/** `aedes.mq`: the mqemitter every publish goes through. */
export const emitterOf = (aedes: Aedes): unknown => (aedes as unknown as { mq: unknown }).mq;

/** `aedes.persistence`: the persistence instance aedes was given (or made). */
export const persistenceOf = <P>(aedes: Aedes): P => (aedes as unknown as { persistence: P }).persistence;

/** `aedes.counter`: the brokerCounter stamped on each packet (with `aedes.id`) for duplicate filtering. */
export function setBrokerCounter(aedes: Aedes, value: number): void {
  (aedes as unknown as { counter: number }).counter = value;
}
/** Takes the next brokerCounter, as aedes does when it publishes. */
export const nextBrokerCounter = (aedes: Aedes): number => ++(aedes as unknown as { counter: number }).counter;

// ── one client ──────────────────────────────────────────────────────────────────────────────

/** `client._parser`: the client's mqtt-packet parser (its prototype is shared by all parsers). */
export const parserOf = <P>(client: Client): P | undefined => (client as unknown as { _parser?: P })._parser;

/** `parser.client`: aedes sets it on each client's parser (the client whose bytes it parses). */
export const clientOfParser = (parser: { client?: unknown }): Client | undefined => parser.client as Client | undefined;

/** `client.broker`: the aedes instance the client belongs to. */
export const brokerOf = (client: Client): object => (client as unknown as { broker: object }).broker;

/** `client.subscriptions`: the client's subscriptions by filter. */
export const subscriptionsOf = (client: Client): Record<string, { qos: number }> => (client as unknown as { subscriptions: Record<string, { qos: number }> }).subscriptions;

/** `client.deliver0` / `client.deliverQoS`: the per-client delivery functions subscriptions capture. */
export const deliveryOf = <D>(client: Client): { deliver0: D; deliverQoS: D } => client as unknown as { deliver0: D; deliverQoS: D };

/** The bytes written to the client's stream and not yet flushed. */
export const writableLengthOf = (client: Client): number => (client.conn as { writableLength?: number }).writableLength ?? 0;

/** The peer address: from a PROXY header or `X-Forwarded-For` (`req.connDetails`), else the socket's. */
export const addressOf = (client: Client): string | undefined =>
  (client.req as { connDetails?: ConnDetails } | undefined)?.connDetails?.ipAddress ?? (client.conn as Partial<Socket>).remoteAddress;

/** aedes hands `handle(stream, req)`'s req to the client as `client.req`: a bare one carrying a PROXY header's details. */
export const requestWithConnDetails = (connDetails: ConnDetails): IncomingMessage => ({ connDetails }) as unknown as IncomingMessage;
