// load.ts: bounded HTTP load from autocannon (an npm devDependency, so no system load generator is needed).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: object, cb: (err: Error | null, result: LoadResult) => void) => { stop(): void };

/** The counts of one autocannon run that the tests check. */
export interface LoadResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  resets: number;
  '2xx': number;
  requests: { total: number; average: number };
}

export interface LoadOptions {
  /** Requests in total (bounded load, not a timed run). */
  amount: number;
  connections?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Seconds before a request counts as timed out. */
  timeout?: number;
  /** Every response body must be this (others count as mismatches). */
  expectBody?: string;
}

/** Sends `amount` requests over `connections` keep-alive connections; resolves with the counts. */
export function load(url: string, options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections: options.connections ?? 10, amount: options.amount, timeout: options.timeout ?? 10, method: options.method ?? 'GET', headers: options.headers, body: options.body, expectBody: options.expectBody },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** A one-line summary for assertion messages. */
export function describe(r: LoadResult): string {
  return `${r.requests.total} requests: ${r['2xx']} 2xx, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts, ${r.resets} resets, ${r.mismatches} mismatches`;
}
