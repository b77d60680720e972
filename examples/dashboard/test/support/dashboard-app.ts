import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { type DashboardOptions, dashboardPlugin } from '../../src/index.js';

/** A listening Fastify app with the dashboard registered, and its base URL. */
export interface DashboardApp {
  /** The app. */
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` plus the prefix. */
  url: string;
}

/** The tokens every test uses: one sees everything, one sees project `lab`, one sees `other`. */
export const TOKENS = {
  admin: 'admin-token-0123456789',
  lab: 'lab-token-0123456789',
  other: 'other-token-0123456789',
};

/** `authorize` over {@link TOKENS}; tokens in `revoked` are no longer valid. */
export function tokenAuthorizer(revoked: Set<string> = new Set()): DashboardOptions['authorize'] {
  return async (token) => {
    if (revoked.has(token)) return undefined;
    if (token === TOKENS.admin) return { all: true };
    if (token === TOKENS.lab) return { projects: ['lab'] };
    if (token === TOKENS.other) return { projects: ['other'] };
    return undefined;
  };
}

/** Starts Fastify on a free loopback port with the dashboard under `prefix`; `setup` may add routes first. */
export async function startDashboard(
  options: DashboardOptions,
  prefix = '',
  setup?: (app: FastifyInstance) => void,
): Promise<DashboardApp> {
  const app = Fastify({ logger: false });
  setup?.(app);
  await app.register(dashboardPlugin, { ...options, prefix });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}${prefix}` };
}
