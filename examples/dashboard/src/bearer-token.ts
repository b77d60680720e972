/** Longest token accepted; longer headers are refused without asking the deployment. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * The token of an `Authorization: Bearer <token>` header, or `undefined` when the header is missing, of another
 * scheme, empty or absurdly long.
 */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const token = match?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) return undefined;
  return token;
}
