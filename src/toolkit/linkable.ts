// linkable.ts: Linkable, the base of every primitive that becomes ready and then calls its links (and Waitable, what iwait() accepts).
import { validateFunction } from '../core/errors.js';
import { hub } from '../core/hub.js';

/** Something iwait() can wait for: a Fiber, an Event, an AsyncResult. */
export interface Waitable {
  readonly ready: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  link(cb: (source: any) => void): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  unlink(cb: (source: any) => void): void;
}

/**
 * gevent's AbstractLinkable: an object that becomes ready and then calls its links,
 * once each, on the hub (a link added when it is already ready is called soon).
 */
export abstract class Linkable implements Waitable {
  private links: Array<(source: this) => void> = [];

  abstract get ready(): boolean;

  /** Calls cb(this) on the hub once this is ready (soon, if it already is). */
  link(cb: (source: this) => void): void {
    validateFunction('cb', cb);
    if (this.ready) hub.runCallback(() => cb(this));
    else this.links.push(cb);
  }

  /** Removes a link that has not been called yet. */
  unlink(cb: (source: this) => void): void {
    const i = this.links.indexOf(cb);
    if (i >= 0) this.links.splice(i, 1);
  }

  /** Schedules every pending link; subclasses call it when they become ready. */
  protected notifyLinks(): void {
    if (this.links.length === 0) return;
    const links = this.links;
    this.links = [];
    for (const cb of links) hub.runCallback(() => cb(this));
  }
}
