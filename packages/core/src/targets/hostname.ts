import { domainToASCII } from 'node:url';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** @internal */
export type HostnameResult = { ok: true; hostname: string } | { ok: false; message: string };

/**
 * Normalises a hostname: RFC 1123 labels (letters, digits, hyphens; 1 to 63 characters; no hyphen at either end),
 * at most 253 characters, lower case, one trailing dot dropped, internationalised names converted to punycode.
 * A name whose last label is all digits is not a hostname (it is a malformed IPv4 address).
 *
 * @example
 * ```ts
 * import { normalizeHostname } from '@scanplane/core';
 * normalizeHostname('WWW.Example.COM.'); // 'www.example.com'
 * normalizeHostname('bücher.example'); // 'xn--bcher-kva.example'
 * normalizeHostname('under_score.example'); // undefined
 * ```
 */
export function normalizeHostname(text: string): string | undefined {
  const result = checkHostname(text);
  return result.ok ? result.hostname : undefined;
}

/** @internal */
export function checkHostname(text: string): HostnameResult {
  let name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name === '') return { ok: false, message: `'${text}' is an empty hostname` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for non-ASCII input
  if (/[^\x00-\x7f]/.test(name)) {
    const ascii = domainToASCII(name);
    if (ascii === '') return { ok: false, message: `'${text}' is not a valid internationalised domain name` };
    name = ascii;
  }
  name = name.toLowerCase();
  if (name.length > 253) return { ok: false, message: `hostname '${text}' is longer than 253 characters` };
  if (name.includes('*'))
    return { ok: false, message: `'${text}' is a wildcard; wildcards are not scan targets` };
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') return { ok: false, message: `hostname '${text}' has an empty label` };
    if (label.length > 63)
      return { ok: false, message: `hostname '${text}' has a label longer than 63 characters` };
    if (!LABEL.test(label)) {
      const hint = label.includes('_')
        ? 'underscores are not allowed in hostnames (RFC 1123)'
        : label.startsWith('-') || label.endsWith('-')
          ? 'labels cannot start or end with a hyphen'
          : 'labels hold only letters, digits and hyphens';
      return { ok: false, message: `'${text}' is not a valid hostname: label '${label}': ${hint}` };
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1] as string)) {
    return { ok: false, message: `'${text}' is not a hostname: its last label is numeric` };
  }
  return { ok: true, hostname: name };
}
