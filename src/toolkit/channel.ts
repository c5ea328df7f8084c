// channel.ts: Channel, a rendezvous queue: put() waits until a getter takes the item.
import { Queue } from './queue.js';

/**
 * A queue with no buffer (gevent's Channel): put() blocks until a getter takes the
 * item, get() until a putter offers one; putNowait() succeeds only if a getter is
 * waiting. An item handed to a getter that is killed at that very moment is not
 * lost: it goes to the next getter, held briefly by the channel if none waits yet.
 */
export class Channel<T = unknown> extends Queue<T> {
  constructor() {
    super();
    this.capacity = 0;
  }
}
