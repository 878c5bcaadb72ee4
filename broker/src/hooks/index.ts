import type { BrokerContext } from '../context.js';
import { preConnect } from './connect.js';
import { authenticate } from './authenticate.js';
import { authorizePublish, published } from './publish.js';
import { authorizeSubscribe } from './subscribe.js';
import { authorizeForward } from './forward.js';
import { listen } from './events.js';

/**
 * Sets aedes's hooks (its documented `aedes.<hook> = fn` properties, read at each call) and
 * event listeners, all over one BrokerContext. Done before the first connection is handled.
 */
export function installHooks(ctx: BrokerContext): void {
  const { aedes } = ctx;
  aedes.preConnect = preConnect(ctx);
  aedes.authenticate = authenticate(ctx);
  aedes.authorizePublish = authorizePublish(ctx);
  aedes.published = published(ctx);
  aedes.authorizeSubscribe = authorizeSubscribe(ctx);
  aedes.authorizeForward = authorizeForward(ctx);
  listen(ctx);
}
