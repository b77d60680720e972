import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './error-reply.js';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * A constant-time check of a presented token against the operators' token.
 *
 * @example
 * ```ts
 * import { tokenChecker } from './operator-auth.js';
 * const isOperator = tokenChecker('a-long-operator-token');
 * isOperator('a-long-operator-token'); // true
 * ```
 */
export function tokenChecker(operatorToken: string): (token: string | undefined) => boolean {
  const expected = digest(operatorToken);
  return (token) => token !== undefined && timingSafeEqual(digest(token), expected);
}

/**
 * The bearer token of a request (`Authorization: Bearer <token>`), or undefined.
 *
 * @example
 * ```ts
 * import { bearerToken } from './operator-auth.js';
 * bearerToken('Bearer abc'); // 'abc'
 * ```
 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * An `onRequest` hook gating the operators' API: without `Authorization: Bearer <operator token>` the answer is
 * 401 with `WWW-Authenticate: Bearer` and the code `UNAUTHENTICATED`.
 *
 * @example
 * ```ts
 * import { fastify } from 'fastify';
 * import { operatorAuth } from './operator-auth.js';
 * const app = fastify();
 * app.addHook('onRequest', operatorAuth('a-long-operator-token'));
 * ```
 */
export function operatorAuth(operatorToken: string) {
  const isOperator = tokenChecker(operatorToken);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const token = bearerToken(request.headers.authorization);
    if (isOperator(token)) return undefined;
    reply.header('www-authenticate', 'Bearer realm="org-scans"');
    return sendError(
      reply,
      401,
      'UNAUTHENTICATED',
      token === undefined
        ? 'the operators’ API needs Authorization: Bearer <token>'
        : 'the bearer token is not the operators’ token',
      { where: 'headers/authorization' },
    );
  };
}
