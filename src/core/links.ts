// links.ts: the callbacks a Fiber or a Linkable calls once, on the hub, when it becomes ready.
import { hub } from './hub.js';

/** A link: called with the source once it is ready. */
export type LinkCallback<S> = (source: S) => void;

/**
 * Adds cb to links, or schedules cb(source) on the hub now if the source is already
 * ready. Returns the list to keep (allocated on first use: most sources never get one).
 */
export function addLink<S>(
  links: Array<LinkCallback<S>> | null,
  source: S,
  ready: boolean,
  cb: LinkCallback<S>,
): Array<LinkCallback<S>> | null {
  if (ready) hub.runCallback(() => cb(source));
  else (links ??= []).push(cb);
  return links;
}

/** Removes a link that has not been called yet. */
export function removeLink<S>(links: Array<LinkCallback<S>> | null, cb: LinkCallback<S>): void {
  const i = links?.indexOf(cb) ?? -1;
  if (i >= 0) links!.splice(i, 1);
}

/** Schedules every link of a source that just became ready (the caller drops the list). */
export function runLinks<S>(links: Array<LinkCallback<S>> | null, source: S): void {
  if (links !== null) for (const cb of links) hub.runCallback(() => cb(source));
}
