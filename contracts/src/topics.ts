import { isValidId } from './ids.js';

/**
 * Topic families. Devices publish to `users/<userId>/events`; ingest republishes each
 * accepted canonical event on `live/users/<userId>`; gateways announce status on
 * `gateways/<deviceId>/status`.
 */
export const TOPICS = {
  eventsFilter: 'users/+/events',
  /** What ingest consumes: the broker appends the publisher's id as a fourth level. */
  stampedEventsFilter: 'users/+/events/+',
  liveFilter: 'live/users/+',
  /** Alert changes ingest announces to web nodes (service principals only, like `live/#`). */
  alertsFilter: 'live/alerts/+',
} as const;

export const eventsTopic = (userId: string): string => `users/${userId}/events`;
export const liveTopic = (userId: string): string => `live/users/${userId}`;
export const alertTopic = (userId: string): string => `live/alerts/${userId}`;
export const gatewayStatusTopic = (deviceId: string): string => `gateways/${deviceId}/status`;

function idAt(parts: string[], index: number): string | null {
  const id = parts[index];
  return id !== undefined && isValidId(id) ? id : null;
}

/**
 * MQTT 3.1.1 does not tell a subscriber who published a message, so the broker rewrites an
 * authenticated publish on `users/<u>/events` to `users/<u>/events/<publisher id>` before
 * routing it. Devices cannot publish to the four-level topic themselves.
 */
export const stampedEventsTopic = (userId: string, publisherId: string): string => `users/${userId}/events/${publisherId}`;

/** `users/<u>/events/<publisher>` → both ids, else null. */
export function parseStampedEventsTopic(topic: string): { userId: string; publisherId: string } | null {
  const p = topic.split('/');
  if (p.length !== 4 || p[0] !== 'users' || p[2] !== 'events') return null;
  const userId = idAt(p, 1);
  const publisherId = idAt(p, 3);
  return userId && publisherId ? { userId, publisherId } : null;
}

/** `users/<id>/events` → id, else null. */
export function parseEventsTopic(topic: string): string | null {
  const p = topic.split('/');
  return p.length === 3 && p[0] === 'users' && p[2] === 'events' ? idAt(p, 1) : null;
}

/** `live/users/<id>` → id, else null. */
export function parseLiveTopic(topic: string): string | null {
  const p = topic.split('/');
  return p.length === 3 && p[0] === 'live' && p[1] === 'users' ? idAt(p, 2) : null;
}

/** `gateways/<id>/status` → id, else null. */
export function parseGatewayStatusTopic(topic: string): string | null {
  const p = topic.split('/');
  return p.length === 3 && p[0] === 'gateways' && p[2] === 'status' ? idAt(p, 1) : null;
}

/** `live/alerts/<id>` → id, else null. */
export function parseAlertTopic(topic: string): string | null {
  const p = topic.split('/');
  return p.length === 3 && p[0] === 'live' && p[1] === 'alerts' ? idAt(p, 2) : null;
}
