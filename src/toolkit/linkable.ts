// linkable.ts: Linkable, the base of every primitive that becomes ready and then calls its links (and Waitable, what iwait() accepts).
import { validateFunction } from '../core/errors.js';
import { addLink, removeLink, runLinks, type LinkCallback } from '../core/links.js';

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
  private links: Array<LinkCallback<this>> | null = null;

  abstract get ready(): boolean;

  /** Calls cb(this) on the hub once this is ready (soon, if it already is). */
  link(cb: (source: this) => void): void {
    validateFunction('cb', cb);
    this.links = addLink(this.links, this, this.ready, cb);
  }

  /** Removes a link that has not been called yet. */
  unlink(cb: (source: this) => void): void {
    removeLink(this.links, cb);
  }

  /** Schedules every pending link; subclasses call it when they become ready. */
  protected notifyLinks(): void {
    const links = this.links;
    this.links = null;
    runLinks(links, this);
  }
}
