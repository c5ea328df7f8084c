// dns.ts: patch mode for node:dns (the cooperative declaration): nothing blocks in dns, but the callbacks of its lookups, given in a fiber, continue in a fiber.
import dns = require('node:dns');
import type { CooperativeModule } from './cooperative.js';

const CALLBACK_APIS = [
  'lookup',
  'lookupService',
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCaa',
  'resolveCname',
  'resolveMx',
  'resolveNaptr',
  'resolveNs',
  'resolvePtr',
  'resolveSoa',
  'resolveSrv',
  'resolveTxt',
  'reverse',
];

export const cooperative: CooperativeModule = {
  module: 'dns',
  implements: {},
  continues: CALLBACK_APIS.filter((name) => typeof (dns as unknown as Record<string, unknown>)[name] === 'function'),
};
