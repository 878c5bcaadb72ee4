import { eventsTopic, gatewayStatusTopic, liveTopic, type Principal } from '@pulsehub/contracts';

/**
 * What one connected client may do, compiled once at CONNECT so that the per-PUBLISH check
 * is a Set lookup or a prefix test, never a recomputation.
 */
export interface ClientAccess {
  readonly principal: Principal | null;
  canPublish(topic: string): boolean;
  canSubscribe(filter: string): boolean;
}

const isSys = (topic: string): boolean => topic.startsWith('$SYS');
const isLive = (topic: string): boolean => topic.startsWith('live/');

/** True when every topic matching `filter` starts with `prefix` (prefix ends with '/'). */
function filterWithin(filter: string, prefix: string): boolean {
  return filter.startsWith(prefix) || filter === prefix.slice(0, -1);
}

function exact(topics: Iterable<string>): (topic: string) => boolean {
  const set = new Set(topics);
  return (topic) => set.has(topic);
}

const deny = (): boolean => false;

export function compileAccess(principal: Principal | null, options: { allowAnonymous: boolean }): ClientAccess {
  if (principal === null) {
    // Lab mode (like Mosquitto's allow_anonymous): anything but $SYS and the live topics.
    const open = options.allowAnonymous;
    return {
      principal,
      canPublish: (t) => open && !isSys(t) && !isLive(t),
      canSubscribe: (f) => open && !isSys(f),
    };
  }
  const users = principal.users;
  switch (principal.kind) {
    case 'device':
      return {
        principal,
        canPublish: exact(users.map(eventsTopic)),
        canSubscribe: (f) => users.some((u) => filterWithin(f, `users/${u}/`)),
      };
    case 'gateway':
      return {
        principal,
        canPublish: exact([...users.map(eventsTopic), gatewayStatusTopic(principal.subject)]),
        canSubscribe: (f) => filterWithin(f, `gateways/${principal.subject}/`) || users.some((u) => filterWithin(f, `users/${u}/`)),
      };
    case 'service':
      // Ingest and web: consume every user's events, publish and read the live topics.
      return {
        principal,
        canPublish: (t) => isLive(t),
        canSubscribe: (f) => !isSys(f) && (filterWithin(f, 'users/') || filterWithin(f, 'live/') || f.startsWith('$share/')),
      };
    case 'admin':
      return { principal, canPublish: (t) => !isSys(t) && !isLive(t), canSubscribe: () => true };
    case 'athlete':
    case 'overlay':
      return { principal, canPublish: deny, canSubscribe: exact(users.map(liveTopic)) };
    case 'coach':
      // Coaches read live data through the web gateway, which checks consent per athlete.
      return { principal, canPublish: deny, canSubscribe: deny };
  }
}
